"""Which of a frame file's headers is which canonical column (pure; split from :mod:`sampling.frame_validate`)."""

from __future__ import annotations

from sampling.frame_schema import (
    COLUMN_ALIASES,
    LABELS_ZH,
    REQUIRED_COLUMNS,
    Problem,
    header_key,
    make_problem,
)


def resolve_headers(
    headers: list[str], mapping: dict[str, str | None] | None
) -> tuple[dict[str, int], list[Problem]]:
    """``{canonical column: position}`` of a file's headers, with the problems: a mapped header not in the
    file, two headers for one column, required columns missing. ``mapping`` overrides ``COLUMN_ALIASES``."""
    mapping = {str(k).strip(): v for k, v in (mapping or {}).items()}
    stripped = [h.strip().lstrip("\ufeff") for h in headers]
    found = ", ".join(h for h in stripped if h) or "-"
    problems = [
        make_problem("mapping_column_not_found", value=k, found=found) for k in mapping if k not in stripped
    ]
    overridden = {t for t in mapping.values() if t is not None}
    index: dict[str, int] = {}
    for j, header in enumerate(stripped):
        if header in mapping:
            target = mapping[header]
        else:
            target = COLUMN_ALIASES.get(header_key(header))
            target = None if target in overridden else target
        if target is None:
            continue
        if target in index:
            problems.append(
                make_problem("duplicate_column", column=target, value=header, other=stripped[index[target]])
            )
        else:
            index[target] = j
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    if missing:
        shown = ", ".join(f"{c}（{LABELS_ZH[c]}）" for c in missing)
        problems.append(make_problem("missing_columns", missing=shown, found=found))
    return index, problems
