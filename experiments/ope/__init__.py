"""Off-policy evaluation (OPE) of ranking policies on loopsim's impression logs.

numpy-only estimators (:mod:`.estimators`), a direct-method model fitted on the log
(:mod:`.dm`), the log and its ground truth read back from a run folder (:mod:`.log`,
:mod:`.truth_reader`), targets built from a policy config or a frozen model (:mod:`.target`),
and the evaluation that sets the estimates beside the exact truth (:mod:`.evaluate`).
"""

from loopsim.experiments.ope.estimators import ESTIMATORS, Estimate, SlateOPE, estimate_all

__all__ = ["ESTIMATORS", "Estimate", "SlateOPE", "estimate_all"]
