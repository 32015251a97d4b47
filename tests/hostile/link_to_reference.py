"""The answer file is a symbolic link to the reference solution (a git checkout or an archive can carry links)."""
# labkit-corpus: link __ANSWER_STEM__.py -> __KIT_ROOT__/solutions/__LAB_ID__/__ANSWER_STEM__.py
