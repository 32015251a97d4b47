"""Ends the worker with exit code 0 while being imported."""
import os

os._exit(0)

# labkit-corpus: answers
