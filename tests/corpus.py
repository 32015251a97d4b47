"""The hostile-submission corpus, built for any lab: each trick in tests/hostile/ plus cheat answers.

A trick file holds its attack at module level and `_cheat(*args, **kwargs)`; the line
`# labkit-corpus: answers` becomes one definition per public function and class of the lab's solution,
each delegating to `_cheat` (which can tell who called it: `sys._getframe(1).f_code.co_name`);
`# labkit-corpus: solution` becomes the reference solution's own code (for tricks that carry a right answer
to someone else). `# labkit-corpus: extra NAME` starts an extra file of the submission (its lines without the
leading '# '); `# labkit-corpus: link NAME -> TARGET` makes NAME a symbolic link to TARGET instead of a file.
Placeholders (__KIT_ROOT__, __OUT_DIR__, ...) are filled in.
"""
from __future__ import annotations

import ast
from pathlib import Path

from autograder.manifest import Lab
from autograder.sources import solution_sources

HOSTILE = Path(__file__).parent / "hostile"

# What each trick may still earn, as a fraction of the lab's points; everything else must earn 0.
#   hardcode_public_answers: the public inputs are public; hidden inputs must catch it.
#   patch_*: in-process forgery of purely behavioural tests (no recorded value) is possible by design;
#            it is bounded by the weight of those tests (scoring.forgeable_points), checked separately.
# Nothing earns anything: public tests never score, and what the learner's process reports about itself (a
# patched plugin, pytest internals) only ever withholds points. The one exception: answers hard-coded from the
# public tests still meet a hidden case whose value is a public fact (lab 02: the loss at W = 0 is log C), at
# most a tenth of the points.
MAY_EARN: dict[str, float] = {"hardcode_public_answers": 0.1}
NEEDS_NAMESPACE = {"read_solutions", "importlib_reference", "network_connect", "read_classmate_via_proc"}
# graded in a batch of their own before the class: they try to leave an answer for the readers below
WRITERS = {"share_writer"}
# Contained by the job's own uid (RLIMIT_NPROC, file permissions, kill by uid); where jobs cannot get one
# (rlimits tier without root, or a root-only Python), running these would harm the machine or the grader.
NEEDS_JOB_UID = {"fork_bomb", "thousands_of_threads", "signal_parent", "write_into_out", "edit_other_submission",
                 "leave_daemons", "setsid_chdir_daemon", "plant_pycache", "share_writer", "share_reader"}

_CHEAT_CLASS = '''
class _CheatClass:
    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *a, **k: _cheat(*a, **k)
'''


def tricks() -> list[str]:
    return sorted(p.stem for p in HOSTILE.glob("*.py") if p.stem not in WRITERS)


def _definitions(lab: Lab) -> str:
    lines = [_CHEAT_CLASS]
    for source in solution_sources(lab).values():
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                lines.append(f"def {node.name}(*args, **kwargs):\n    return _cheat(*args, **kwargs)\n")
            elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                lines.append(f"class {node.name}(_CheatClass):\n    pass\n")
    return "\n".join(lines)


def build(lab: Lab, trick: str, folder: Path, placeholders: dict[str, str]) -> Path:
    """Write the trick as a submission folder for `lab`; returns the folder."""
    text = (HOSTILE / f"{trick}.py").read_text()
    main = lab.answer_files[0]
    values = {"__LAB_ID__": lab.id, "__ANSWER_STEM__": Path(main).stem, **placeholders}
    for key, value in values.items():
        text = text.replace(key, value)
    module, extras, links, current = [], {}, {}, None
    for line in text.splitlines():
        if line.startswith("# labkit-corpus: link "):
            name, target = (part.strip() for part in line.split("link ", 1)[1].split("->"))
            links[name] = target
        elif line.startswith("# labkit-corpus: extra "):
            current = line.split("extra ", 1)[1].strip()
            extras[current] = []
        elif current is not None:
            extras[current].append(line[2:] if line.startswith("# ") else line.lstrip("#"))
        elif line.strip() == "# labkit-corpus: answers":
            module.append(_definitions(lab))
        elif line.strip() == "# labkit-corpus: solution":
            module.append(solution_sources(lab)[main])
        else:
            module.append(line)
    folder.mkdir(parents=True, exist_ok=True)
    for name, target in links.items():
        (folder / name).symlink_to(target)
    if main not in links:
        (folder / main).write_text("\n".join(module) + "\n")
    for other in lab.answer_files[1:]:
        (folder / other).write_text(f"from {Path(main).stem} import *  # noqa\n")
    for name, lines in extras.items():
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder
