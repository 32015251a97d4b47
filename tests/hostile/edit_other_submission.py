"""Rewrites another student's submission (to sabotage it) and the kit's own tests."""
import glob

for path in ["__OTHER_SUBMISSION__", *glob.glob("__KIT_ROOT__/labs/*/tests/*.py")]:
    try:
        with open(path, "w") as f:
            f.write("raise SystemExit('sabotaged')\n")
    except OSError:
        pass


def _cheat(*args, **kwargs):
    raise NotImplementedError

# labkit-corpus: answers
