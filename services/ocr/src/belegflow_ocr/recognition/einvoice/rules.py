"""The e-invoice rules folder: the official KoSIT validator configuration (``scenarios.xml`` and its resources).

An operator installs one release of the configuration (XRechnung validator configuration, unpacked as KoSIT
publishes it) and points ``BELEGFLOW_EINVOICE_RULES_DIR`` at it. Nothing is ever downloaded at run time; a folder
that is missing or incomplete stops the service at start-up with :class:`RulesFolderError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from belegflow_contracts.messages import RuleLevel

SCENARIOS_NS = "http://www.xoev.de/de/validator/framework/1/scenarios"
_NS = {"s": SCENARIOS_NS}
# the shared development layout keeps the configuration one folder down, beside the other artefacts
_NESTED = "kosit-validator-configuration"
_LEVELS = {"error": RuleLevel.ERROR, "warning": RuleLevel.WARNING, "information": RuleLevel.INFORMATION}


class RulesFolderError(Exception):
    """The configured rules folder cannot be used; the message says what is missing and how to fix it."""

    def __init__(self, message: str, *, folder: Path | None) -> None:
        super().__init__(message)
        self.message = message
        self.folder = folder


@dataclass(frozen=True, slots=True)
class Scenario:
    """One validation scenario: which documents it takes, and the XML Schema and Schematron it applies."""

    name: str
    match: str
    """XPath over the document (XPath 1.0 after ``exists(`` became ``boolean(``)."""
    namespaces: dict[str, str]
    xsd: Path
    schematrons: tuple[Path, ...]
    """EN 16931 first, then the CIUS (XRechnung), in the order the configuration lists them."""
    custom_levels: dict[str, RuleLevel] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleSet:
    folder: Path
    name: str
    date: str
    versions: str
    """The rule sets and their versions in words, as each verdict names them."""
    scenarios: tuple[Scenario, ...]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.date})" + (f": {self.versions}" if self.versions else "")

    def resources(self) -> list[Path]:
        """Every XML Schema and Schematron file the scenarios use (each once)."""
        seen: dict[Path, None] = {}
        for scenario in self.scenarios:
            seen.setdefault(scenario.xsd)
            for path in scenario.schematrons:
                seen.setdefault(path)
        return list(seen)


def _text(element: etree._Element | None) -> str:
    return " ".join("".join(str(t) for t in element.itertext()).split()) if element is not None else ""


def _versions(description: str) -> str:
    """The CEN and XRechnung rule versions the configuration states in its description."""
    found = []
    cen = re.search(r"CEN Schematron rules of \S+\s+in version ([\d.]+)", description)
    if cen:
        found.append(f"EN 16931 rules {cen.group(1)}")
    cius = re.search(r"Schematron Rules version ([\d.]+) for XRechnung specification version ([\d.]+)", description)
    if cius:
        found.append(f"XRechnung {cius.group(2)} rules {cius.group(1)}")
    return ", ".join(found)


def load_rules(folder: Path | None) -> RuleSet:
    """The rule set in ``folder`` (a KoSIT validator configuration, or a folder holding one as
    ``kosit-validator-configuration/``), every file it names checked to exist."""
    if folder is None:
        raise RulesFolderError(
            "no e-invoice rules folder is configured: set BELEGFLOW_EINVOICE_RULES_DIR to an unpacked KoSIT "
            "validator configuration (the folder with scenarios.xml); see the README, 'E-invoice validation'",
            folder=None)
    root_dir = folder if (folder / "scenarios.xml").is_file() else folder / _NESTED
    scenarios_file = root_dir / "scenarios.xml"
    if not scenarios_file.is_file():
        raise RulesFolderError(
            f"e-invoice rules folder {folder} has no scenarios.xml (nor {_NESTED}/scenarios.xml): unpack the KoSIT "
            "validator configuration release there, or point BELEGFLOW_EINVOICE_RULES_DIR at it", folder=folder)
    try:
        doc = etree.parse(str(scenarios_file), etree.XMLParser(resolve_entities=False, no_network=True))
    except (etree.XMLSyntaxError, OSError) as exc:
        raise RulesFolderError(f"{scenarios_file} cannot be read: {exc}", folder=folder) from exc
    top = doc.getroot()
    if top.tag != f"{{{SCENARIOS_NS}}}scenarios":
        raise RulesFolderError(f"{scenarios_file} is not a KoSIT scenarios file (root {top.tag})", folder=folder)
    scenarios = []
    missing: list[str] = []
    for element in top.iterfind("s:scenario", _NS):
        namespaces = {ns.get("prefix", ""): _text(ns) for ns in element.iterfind("s:namespace", _NS)}
        xsd = _text(element.find("s:validateWithXmlSchema/s:resource/s:location", _NS))
        schematrons = [_text(loc) for loc in element.iterfind("s:validateWithSchematron/s:resource/s:location", _NS)]
        levels: dict[str, RuleLevel] = {}
        for custom in element.iterfind("s:createReport/s:customLevel", _NS):
            level = _LEVELS.get(custom.get("level", ""))
            if level is None:
                raise RulesFolderError(f"{scenarios_file}: unknown customLevel {custom.get('level')!r}", folder=folder)
            levels.update(dict.fromkeys(_text(custom).split(), level))
        for location in (xsd, *schematrons):
            if not (root_dir / location).is_file():
                missing.append(location)
        scenarios.append(Scenario(
            name=_text(element.find("s:name", _NS)),
            match=re.sub(r"\bexists\(", "boolean(", _text(element.find("s:match", _NS))),
            namespaces=namespaces, xsd=root_dir / xsd, schematrons=tuple(root_dir / s for s in schematrons),
            custom_levels=levels,
        ))
    if missing:
        raise RulesFolderError(f"e-invoice rules folder {root_dir} is incomplete: {', '.join(sorted(set(missing)))} "
                               "missing", folder=folder)
    if not scenarios:
        raise RulesFolderError(f"{scenarios_file} defines no scenario", folder=folder)
    return RuleSet(folder=root_dir, name=_text(top.find("s:name", _NS)), date=_text(top.find("s:date", _NS)),
                   versions=_versions(_text(top.find("s:description", _NS))), scenarios=tuple(scenarios))
