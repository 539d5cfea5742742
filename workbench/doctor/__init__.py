"""The training doctor: why a network does not train, and which spec edit fixes it.

- ``static_rules.static_findings`` — rules on the spec alone (run on every edit);
- ``init_check.check_init`` / ``diagnose_init`` — one batch through the fresh network (``check_init``
  also runs ``data_checks.data_findings`` on the training data);
- ``monitor.TrainingMonitor`` — a Trainer callback that watches a run, trying its fixes with
  ``live_trial`` before it offers them; its limits are in ``thresholds``;
- ``compare.compare_init`` — two stacks side by side at initialisation;
- ``trial.try_fixes`` — short trial runs of the candidate fixes;
- ``report.diagnose`` — static rules and the init check together (the CLI's ``doctor`` verb).
"""

from workbench.doctor.findings import Finding, Fix, apply_top_fixes, has_errors, sort_findings, top_fixes
from workbench.doctor.init_check import InitReport, check_init, diagnose_init
from workbench.doctor.static_rules import static_findings

__all__ = [
    "Finding", "Fix", "InitReport", "apply_top_fixes", "check_init", "diagnose_init", "has_errors",
    "sort_findings", "static_findings", "top_fixes",
]
