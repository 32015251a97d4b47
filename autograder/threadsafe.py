"""One lock for everything in the grader that builds Python AST objects from several threads.

CPython 3.11 keeps the AST constructor's recursion depth in interpreter-wide state, so two threads in
ast.parse at once can fail with "SystemError: AST constructor recursion depth mismatch". Grading threads
parse answer files and, through numpy's .npy header reader (ast.literal_eval), every recorded value.
"""
import threading

AST_LOCK = threading.RLock()
