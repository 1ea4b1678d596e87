"""E-invoice validation as the official KoSIT validator does it: scenario, XML Schema, EN 16931 and CIUS Schematron.

The procedure follows the KoSIT validator with its XRechnung configuration (``scenarios.xml``):

1. the first scenario whose ``match`` holds for the document is used; none matching means invalid;
2. the scenario's XML Schema (lxml); a schema error means invalid and the Schematron is not run;
3. each of the scenario's compiled Schematron XSLTs (EN 16931, then XRechnung) through Saxon; every
   ``failed-assert`` and ``successful-report`` is a failed rule whose level comes from its flag
   (fatal/error: error, warning: warning, information: information, none: error);
4. the scenario's ``customLevel`` overrides that level by rule id;
5. any error-level rule: invalid; else warnings: valid with warnings; else valid.

One deliberate extension: a UBL or CII invoice whose specification identifier no scenario names (a Factur-X /
ZUGFeRD profile such as ``urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic``, Peppol BIS, a CEN
example labelled ZUGFeRD 1.0 COMFORT) is checked with the plain EN 16931 scenario of its syntax instead of being
rejected unchecked; the scenario then says so. Rejected as KoSIT does: an XRechnung identifier no scenario names
(an outdated version), the Factur-X MINIMUM and BASIC WL profiles (not invoices under EN 16931), and a document
naming no specification at all.

Saxon compiles each stylesheet once per process (seconds for the CEN rules); every document then takes
milliseconds. :func:`current_validator` holds the process's validator.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from lxml import etree

from belegflow_contracts.messages import EInvoiceCheckV1, EInvoiceVerdict, FailedRuleV1, RuleLevel
from belegflow_ocr.errors import RecognitionError
from belegflow_ocr.recognition.einvoice.rules import RuleSet, Scenario, load_rules
from belegflow_ocr.recognition.einvoice.xmlsafe import parse_xml

SVRL_NS: Final = "http://purl.oclc.org/dsdl/svrl"
MAX_FAILED: Final = 200
PLAIN_EN16931: Final = "urn:cen.eu:en16931:2017"
# an XRechnung identifier no scenario names is an outdated or mistyped version, MINIMUM and BASIC WL carry less than
# an invoice: rejected, never checked as EN 16931
_NO_FALLBACK: Final = ("xeinkauf.de", "xrechnung", ":minimum", ":basicwl")
_SPEC_PATHS: Final = (
    "/*[local-name()='Invoice' or local-name()='CreditNote']/*[local-name()='CustomizationID']",
    "/*[local-name()='CrossIndustryInvoice']/*[local-name()='ExchangedDocumentContext']"
    "/*[local-name()='GuidelineSpecifiedDocumentContextParameter']/*[local-name()='ID']",
)
_FLAG_LEVELS: Final = {"fatal": RuleLevel.ERROR, "error": RuleLevel.ERROR, "warning": RuleLevel.WARNING,
                       "warn": RuleLevel.WARNING, "information": RuleLevel.INFORMATION,
                       "info": RuleLevel.INFORMATION}
_ORDER: Final = {RuleLevel.ERROR: 0, RuleLevel.WARNING: 1, RuleLevel.INFORMATION: 2}

Step = Literal["scenario", "xsd", "en16931", "xrechnung"]


@dataclass(frozen=True, slots=True)
class ScenarioChoice:
    scenario: Scenario | None
    specification: str | None
    note: str = ""
    """Set when the scenario was chosen by the EN 16931 extension, not by its own match."""


def specification_of(root: etree._Element) -> str | None:
    """The specification identifier (BT-24) the document names, UBL or CII."""
    for path in _SPEC_PATHS:
        found = root.xpath(path)
        if isinstance(found, list) and found and isinstance(found[0], etree._Element):
            return (found[0].text or "").strip()
    return None


def _matches(scenario: Scenario, root: etree._Element) -> bool:
    namespaces = {k: v for k, v in scenario.namespaces.items() if k}
    return bool(root.getroottree().xpath(scenario.match, namespaces=namespaces))


def _with_specification(root: etree._Element, value: str) -> etree._Element:
    twin = copy.deepcopy(root)
    for path in _SPEC_PATHS:
        for element in twin.getroottree().xpath(path):  # type: ignore[union-attr]
            if isinstance(element, etree._Element):
                element.text = value
    return twin


def choose_scenario(rules: RuleSet, root: etree._Element) -> ScenarioChoice:
    """The first scenario that takes the document; else the plain EN 16931 one of its syntax (module doc)."""
    spec = specification_of(root)
    for scenario in rules.scenarios:
        if _matches(scenario, root):
            return ScenarioChoice(scenario, spec)
    if spec and not any(m in spec.lower() for m in _NO_FALLBACK):
        plain = _with_specification(root, PLAIN_EN16931)
        for scenario in rules.scenarios:
            if _matches(scenario, plain):
                return ScenarioChoice(scenario, spec, note=f"no scenario names {spec}; checked with the EN "
                                                           "16931 rules of its syntax")
    return ScenarioChoice(None, spec)


def _step_of(path: Path) -> Step:
    return "en16931" if "en16931" in path.name.lower() else "xrechnung"


class EInvoiceValidator:
    """Validates e-invoice XML against one rule set; compiled stylesheets and schemas are kept for the process."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._lock = threading.Lock()
        self._saxon: Any = None
        self._xslt: Any = None
        self._executables: dict[Path, Any] = {}
        self._schemas: dict[Path, etree.XMLSchema] = {}

    # --- compiled once ----------------------------------------------------------------------------

    def _executable(self, path: Path) -> Any:
        executable = self._executables.get(path)
        if executable is None:
            with self._lock:
                if self._saxon is None:
                    from saxonche import PySaxonProcessor  # the JVM-less Saxon: loaded only where rules run

                    self._saxon = PySaxonProcessor(license=False)
                    self._xslt = self._saxon.new_xslt30_processor()
                executable = self._xslt.compile_stylesheet(stylesheet_file=str(path.resolve()))
                if executable is None:
                    raise RuntimeError(f"Saxon could not compile {path}: {self._xslt.error_message}")
                self._executables[path] = executable
        return executable

    def _schema(self, path: Path) -> etree.XMLSchema:
        schema = self._schemas.get(path)
        if schema is None:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            schema = etree.XMLSchema(etree.parse(str(path), parser))
            self._schemas[path] = schema
        return schema

    def warm_up(self) -> None:
        """Compile every stylesheet and schema now (seconds), so no document waits for it."""
        for path in self.rules.resources():
            if path.suffix == ".xsd":
                self._schema(path)
            else:
                self._executable(path)

    # --- one document -----------------------------------------------------------------------------

    def validate(self, root: etree._Element) -> EInvoiceCheckV1:
        """The verdict on the (safely parsed) document ``root``, with every failed rule."""
        choice = choose_scenario(self.rules, root)
        scenario = choice.scenario
        if scenario is None:
            shown = choice.specification or "none"
            return self._check(None, choice, [FailedRuleV1(
                rule="SCENARIO", step="scenario", level=RuleLevel.ERROR,
                message=f"no validation scenario of {self.rules.name} takes this document (root element "
                        f"{etree.QName(root).localname}, specification identifier {shown}): not an e-invoice the "
                        "rules can accept",
            )])
        failed = self._schema_errors(scenario, root)
        if not failed:
            failed = self.run_schematron(scenario.schematrons, root, custom_levels=scenario.custom_levels)
        return self._check(scenario, choice, failed)

    def run_schematron(self, paths: tuple[Path, ...], root: etree._Element, *,
                       custom_levels: dict[str, RuleLevel] | None = None) -> list[FailedRuleV1]:
        """Every rule the compiled Schematron ``paths`` report on ``root``, levels from their flags and
        ``custom_levels``; a stylesheet that fails on the document is an error-level ``PROCESSING`` rule (the
        document is never taken as checked when it was not)."""
        text = etree.tostring(root, encoding="unicode")
        node = None
        failed: list[FailedRuleV1] = []
        for path in paths:
            executable = self._executable(path)
            try:
                with self._lock:
                    if node is None:
                        node = self._saxon.parse_xml(xml_text=text)
                    svrl = executable.transform_to_string(xdm_node=node)
            except Exception as exc:  # saxonche raises PySaxonApiError for a dynamic XPath error
                failed.append(FailedRuleV1(
                    rule="PROCESSING", step=_step_of(path), level=RuleLevel.ERROR,
                    message=f"the rules in {path.name} could not be run on this document: {exc}"[:2000]))
                continue
            failed.extend(_failed_rules(svrl, custom_levels or {}, step=_step_of(path)))
        return failed

    def validate_bytes(self, data: bytes) -> EInvoiceCheckV1:
        """As :meth:`validate`, for bytes that may not be well-formed XML (which is invalid, as KoSIT has it)."""
        try:
            root = parse_xml(data, filename="document")
        except RecognitionError as exc:
            choice = ScenarioChoice(None, None)
            return self._check(None, choice, [FailedRuleV1(rule="SCENARIO", step="scenario", level=RuleLevel.ERROR,
                                                           message=f"not an XML document the rules can read: "
                                                                   f"{exc.message}"[:2000])])
        return self.validate(root)

    def _schema_errors(self, scenario: Scenario, root: etree._Element) -> list[FailedRuleV1]:
        schema = self._schema(scenario.xsd)
        if schema.validate(root):
            return []
        return [FailedRuleV1(rule="XSD", step="xsd", level=RuleLevel.ERROR, message=e.message[:2000],
                             location=f"{e.line}:{e.column}") for e in list(schema.error_log)]  # type: ignore[call-overload]

    def _check(self, scenario: Scenario | None, choice: ScenarioChoice, failed: list[FailedRuleV1]
               ) -> EInvoiceCheckV1:
        failed.sort(key=lambda f: _ORDER[f.level])
        levels = {f.level for f in failed}
        verdict = (EInvoiceVerdict.INVALID if RuleLevel.ERROR in levels
                   else EInvoiceVerdict.VALID_WITH_WARNINGS if RuleLevel.WARNING in levels else EInvoiceVerdict.VALID)
        name = scenario.name if scenario else None
        if name and choice.note:
            name = f"{name} - {choice.note}"
        return EInvoiceCheckV1(verdict=verdict, scenario=name, specification=choice.specification,
                               rules=self.rules.label, failed=failed[:MAX_FAILED], failed_total=len(failed))


def _failed_rules(svrl: str, custom_levels: dict[str, RuleLevel], *, step: Step) -> list[FailedRuleV1]:
    report = etree.fromstring(svrl.encode(), etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    failed = []
    for element in report.iter(f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report"):
        rule = element.get("id") or ""
        flag = element.get("flag") or element.get("role") or ""
        level = custom_levels.get(rule) or _FLAG_LEVELS.get(flag.lower(), RuleLevel.ERROR)
        text = element.find(f"{{{SVRL_NS}}}text")
        message = " ".join("".join(str(t) for t in text.itertext()).split()) if text is not None else ""
        failed.append(FailedRuleV1(rule=rule[:200] or "?", step=step, flag=flag[:40], level=level,
                                   message=message[:2000], location=(element.get("location") or "")[:1000]))
    return failed


# --- the process's validator ----------------------------------------------------------------------

_configured: Path | None = None
_validators: dict[Path, EInvoiceValidator] = {}


def configure_rules(folder: Path | None) -> None:
    """Use the rules in ``folder`` in this process (the service's setting); None: e-invoices are not validated."""
    global _configured
    _configured = folder


def current_validator() -> EInvoiceValidator | None:
    """The validator of the configured rules folder, built (and its rules loaded) once per process."""
    return None if _configured is None else validator_for(_configured)


def validator_for(folder: Path) -> EInvoiceValidator:
    """A validator of ``folder``'s rules, shared by every caller in this process."""
    validator = _validators.get(folder)
    if validator is None:
        validator = _validators[folder] = EInvoiceValidator(load_rules(folder))
    return validator
