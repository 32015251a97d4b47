"""Where the kit's folders are. One rule: a student release is everything but solutions/."""
from __future__ import annotations

import os
from pathlib import Path

KIT_ROOT = Path(os.environ.get("LABKIT_ROOT", Path(__file__).resolve().parent.parent))
LABS = KIT_ROOT / "labs"
SOLUTIONS = KIT_ROOT / "solutions"
DATASETS = KIT_ROOT / "datasets"
PACKAGE = Path(__file__).resolve().parent


def lab_dir(lab_id: str) -> Path:
    return LABS / lab_id


def solution_dir(lab_id: str) -> Path:
    return SOLUTIONS / lab_id


def resolve_lab_id(name: str) -> str:
    """Accept '02', '2', '02-linear-models-gradcheck' or a unique slug prefix ('02-lin'); LookupError otherwise."""
    ids = sorted(p.name for p in LABS.iterdir() if (p / "lab.toml").is_file()) if LABS.is_dir() else []
    if name in ids:
        return name
    by_number = [i for i in ids if name.isdigit() and i.split("-", 1)[0] == name.zfill(2)]
    matches = by_number or [i for i in ids if i.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise LookupError(f"lab {name!r} is ambiguous: it matches {', '.join(matches)}")
    raise LookupError(f"no lab matches {name!r} (labs: {', '.join(ids) or 'none'})")
