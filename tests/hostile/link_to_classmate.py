"""The answer file is a symbolic link to a classmate's answer file, by absolute path."""
# labkit-corpus: link __ANSWER_STEM__.py -> __OTHER_SUBMISSION__
