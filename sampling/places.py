"""The region and customer-type list an import maps onto, and the rules that recognise usual aliases (pure).

A utility's export writes 供电单位 as 泉州市供电公司, 国网泉州供电公司 or 泉州供电分公司, and 用电类别 as
居民生活用电 or 城乡居民; all of these mean one entry of the list (泉州, 居民). :class:`PlaceList` holds the
list (loaded from the database by :mod:`survey.region_list`) and resolves a written value onto it:

1. the value's key (:func:`place_key`: NFKC, lower case, no spaces, ``_`` or ``-``) equals the key of a canonical
   name, of its English name, or of an explicit alias (the alias table an admin edits);
2. else its *stem* — the key with the usual prefixes and suffixes removed (:data:`REGION_PREFIXES`,
   :data:`REGION_SUFFIXES`, :data:`TYPE_SUFFIXES`; 国网福建省电力有限公司泉州供电公司 → 泉州) — equals the stem
   of exactly one canonical name, English name or alias.

Anything else is unknown: the import stops and names it (never a new region created silently). A district is
mapped only onto a district of the value's own region (鲤城 → 鲤城区 in 泉州); one not in the list is kept as
written.

>>> places = PlaceList.default()
>>> [places.resolve("region", v) for v in ("泉州市供电公司", "国网泉州供电公司", "泉州供电分公司", "QUANZHOU")]
['泉州', '泉州', '泉州', '泉州']
>>> places.resolve("customer_type", "居民生活用电"), places.resolve("region", "泉州电力大厦")
('居民', None)
>>> quanzhou = PlaceList((Region("泉州", "Quanzhou", ("鲤城区", "晋江市")),), ())
>>> [quanzhou.resolve_district("泉州", v) for v in ("鲤城", "泉州市鲤城区", "国网晋江市供电公司", "思明")]
['鲤城区', '鲤城区', '晋江市', '思明']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

#: Kinds of values that are resolved onto the list (the frame column of the same name).
KINDS = ("region", "customer_type")

#: Removed from the start of a region (longest first, repeatedly): the provincial company's names.
REGION_PREFIXES = (
    "国网福建省电力有限公司", "国网福建省电力公司", "福建省电力有限公司", "福建省电力公司", "国家电网公司",
    "国家电网", "国网", "福建省", "福建", "stategridfujianelectricpowercompanylimited", "stategridfujian",
    "stategrid", "sgcc",
)  # fmt: skip
#: Removed from the end of a region (longest first, repeatedly), then a trailing 市.
REGION_SUFFIXES = (
    "供电服务中心", "供电有限公司", "供电分公司", "供电公司", "供电局", "电业局", "供电所", "分公司", "公司",
    "powersupplyservicecenter", "powersupplycompany", "powersupplybureau", "electricpowercompany",
    "powersupply", "company", "city",
)  # fmt: skip
#: Removed from the end of a customer type: 居民生活用电 → 居民生活, 居民客户 → 居民.
TYPE_SUFFIXES = ("用电客户", "用电户", "用电", "用户", "客户")
#: Districts are matched with or without these endings (鲤城 ↔ 鲤城区, 晋江 ↔ 晋江市).
DISTRICT_ENDINGS = ("区", "县", "市")


def place_key(text: object) -> str:
    """Comparison key of a written value: NFKC, lower case, without spaces, ``_``, ``-`` and ``·``.

    >>> place_key(" Quanzhou  City "), place_key("large_industry")
    ('quanzhoucity', 'largeindustry')
    """
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return re.sub(r"[\s_\-·・]+", "", text)


def _strip(key: str, prefixes: tuple[str, ...], suffixes: tuple[str, ...]) -> str:
    changed = True
    while changed:
        changed = False
        for p in prefixes:
            if key.startswith(p) and len(key) > len(p):
                key, changed = key[len(p) :], True
                break
        for s in suffixes:
            if key.endswith(s) and len(key) > len(s):
                key, changed = key[: -len(s)], True
                break
    return key


def region_stem(text: object) -> str:
    """A region's key without the company prefixes and suffixes and a trailing 市.

    >>> region_stem("国网福建省电力有限公司泉州供电公司"), region_stem("泉州市"), region_stem("Quanzhou Power Supply Company")
    ('泉州', '泉州', 'quanzhou')
    """
    key = _strip(place_key(text), REGION_PREFIXES, REGION_SUFFIXES)
    return key[:-1] if key.endswith("市") and len(key) > 2 else key


def type_stem(text: object) -> str:
    """A customer type's key without 用电/用户/客户 at its end (居民生活用电 → 居民生活)."""
    return _strip(place_key(text), (), TYPE_SUFFIXES)


_STEMS = {"region": region_stem, "customer_type": type_stem}


@dataclass(frozen=True)
class Region:
    """One entry of the region list: its name, English name and districts (区县)."""

    name: str
    name_en: str = ""
    districts: tuple[str, ...] = ()


@dataclass(frozen=True)
class CustomerType:
    """One entry of the customer-type list (用电类别)."""

    name: str
    name_en: str = ""


@dataclass(frozen=True)
class PlaceList:
    """The regions and customer types values are resolved onto, with explicit aliases.

    ``aliases`` maps ``(kind, alias)`` to a canonical name of that kind (the alias as written or as its
    :func:`place_key`; both are compared by key).
    """

    regions: tuple[Region, ...]
    customer_types: tuple[CustomerType, ...]
    aliases: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        exact: dict[tuple[str, str], str] = {}
        stems: dict[tuple[str, str], set[str]] = {}
        for kind, entries in (("region", self.regions), ("customer_type", self.customer_types)):
            written = [(e.name, e.name) for e in entries] + [
                (e.name_en, e.name) for e in entries if e.name_en
            ]
            written += [(a, c) for (k, a), c in self.aliases.items() if k == kind]
            for text, canonical in written:
                exact.setdefault((kind, place_key(text)), canonical)
                stems.setdefault((kind, _STEMS[kind](text)), set()).add(canonical)
            for e in entries:  # a canonical name always wins over an alias or English name of another
                exact[(kind, place_key(e.name))] = e.name
        object.__setattr__(self, "_exact", exact)
        object.__setattr__(self, "_stems", {k: next(iter(v)) for k, v in stems.items() if len(v) == 1})
        object.__setattr__(self, "_districts", {r.name: r.districts for r in self.regions})

    @classmethod
    def default(cls) -> PlaceList:
        """The built-in list (no database): Fujian's nine cities (without districts) and the four customer
        types with their usual aliases."""
        from sampling.frame_schema import CUSTOMER_TYPE_ALIASES, CUSTOMER_TYPES

        regions = tuple(Region(n, e) for n, e in zip(FUJIAN_REGIONS, FUJIAN_REGIONS_EN, strict=True))
        types = tuple(CustomerType(n) for n in CUSTOMER_TYPES)
        aliases = {("customer_type", a): t for a, t in CUSTOMER_TYPE_ALIASES.items()}
        return cls(regions, types, {**aliases, **{("customer_type", a): t for a, t in TYPE_ALIASES.items()}})

    def names(self, kind: str) -> tuple[str, ...]:
        """The canonical names of ``kind`` in list order."""
        _check_kind(kind)
        return tuple(e.name for e in (self.regions if kind == "region" else self.customer_types))

    def resolve(self, kind: str, value: object) -> str | None:
        """The canonical name ``value`` means, or None when it is not recognised (see the module's rules)."""
        _check_kind(kind)
        key = place_key(value)
        if not key:
            return None
        found = self._exact.get((kind, key))  # type: ignore[attr-defined]
        return found if found is not None else self._stems.get((kind, _STEMS[kind](value)))  # type: ignore[attr-defined]

    def resolve_district(self, region: str, value: object) -> str:
        """``value`` as a district of ``region`` when it obviously is one (鲤城 → 鲤城区), else as written."""
        text = str(value).strip()
        districts = self._districts.get(region, ())  # type: ignore[attr-defined]
        if not text or not districts or text in districts:
            return text
        key = place_key(text)
        stem = _strip(key, REGION_PREFIXES, REGION_SUFFIXES)  # 国网泉州市鲤城区供电公司 → 泉州市鲤城区
        own = place_key(region)
        for prefix in (own + "市", own):
            if stem.startswith(prefix) and len(stem) > len(prefix):
                stem = stem[len(prefix) :]
                break
        matches = [
            d for d in districts if place_key(d) in (key, stem) or any(place_key(d) == stem + e for e in DISTRICT_ENDINGS)
        ]  # fmt: skip
        return matches[0] if len(set(matches)) == 1 else text

    def with_choices(self, choices: PlaceChoices) -> PlaceList:
        """This list with ``choices`` applied: their aliases added and their new entries appended."""
        if not choices:
            return self
        for (kind, alias), canonical in choices.aliases.items():
            if canonical not in self.names(kind) and (kind, canonical) not in choices.new:
                raise ValueError(
                    f"{alias!r} is mapped to {kind.replace('_', ' ')} {canonical!r}, which is not in the list "
                    f"({', '.join(self.names(kind))})"
                )
        regions = self.regions + tuple(Region(name) for kind, name in choices.new if kind == "region")
        types = self.customer_types + tuple(CustomerType(n) for k, n in choices.new if k == "customer_type")
        aliases = {**self.aliases, **{(k, place_key(a)): c for (k, a), c in choices.aliases.items()}}
        return replace(self, regions=regions, customer_types=types, aliases=aliases)


@dataclass(frozen=True)
class PlaceChoices:
    """What the user decided for unknown values of one import: map onto an entry, or add as a new one.

    ``aliases`` maps ``(kind, value as written)`` to a canonical name (existing, or one of ``new``);
    ``new`` holds ``(kind, name)`` pairs to add to the list. Both are stored with the import.
    """

    aliases: Mapping[tuple[str, str], str] = field(default_factory=dict)
    new: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for kind, _ in [*self.aliases, *self.new]:
            _check_kind(kind)
        both = [value for value in self.new if value in self.aliases]
        if both:
            raise ValueError(
                f"{both[0][1]!r} cannot be both mapped to {self.aliases[both[0]]!r} and added as new"
            )

    def __bool__(self) -> bool:
        return bool(self.aliases or self.new)

    def merged(self, other: PlaceChoices) -> PlaceChoices:
        """Both sets of choices (``other``'s aliases win for the same value)."""
        new = self.new + tuple(n for n in other.new if n not in self.new)
        return PlaceChoices({**self.aliases, **other.aliases}, new)

    @classmethod
    def adding(cls, kind: str, names: Iterable[str]) -> PlaceChoices:
        """Choices that add each of ``names`` as a new entry of ``kind``."""
        return cls({}, tuple((kind, str(n).strip()) for n in dict.fromkeys(names)))


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, but got {kind!r}")


#: The nine prefecture-level cities of Fujian (the seed of the list; districts in survey/regions.py).
FUJIAN_REGIONS = ("福州", "厦门", "莆田", "三明", "泉州", "漳州", "南平", "龙岩", "宁德")
FUJIAN_REGIONS_EN = (
    "Fuzhou",
    "Xiamen",
    "Putian",
    "Sanming",
    "Quanzhou",
    "Zhangzhou",
    "Nanping",
    "Longyan",
    "Ningde",
)
#: Usual ways exports write the customer types (seeded into the editable alias table; keys as place_key).
TYPE_ALIASES = {
    "居民生活": "居民", "城乡居民": "居民", "城乡居民生活": "居民", "城镇居民": "居民", "乡村居民": "居民",
    "residential": "居民", "resident": "居民", "household": "居民",
    "工商业": "一般工商业", "一般工商业及其他": "一般工商业", "commercial": "一般工商业",
    "business": "一般工商业", "generalindustrycommerce": "一般工商业", "generalcommercial": "一般工商业",
    "largeindustry": "大工业", "largeindustrial": "大工业",
    "农业生产": "农业", "农业排灌": "农业", "农业生产及排灌": "农业", "agricultural": "农业", "agriculture": "农业",
}  # fmt: skip
