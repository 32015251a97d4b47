"""labkit's autograder: graded ML-engineering labs, checked safely."""

__version__ = "0.1.0"
