"""Multi-stage policies: a retrieval stage picks candidates, a ranker orders them.

* :class:`Pipeline` -- the policy: ``Pipeline(retrieval=..., ranker=ComposedPolicy(...))``.
* Retrieval stages: :class:`EstimatorRetrieval` (popularity, the oracle, any estimator's
  top ``n``), :class:`RandomRetrieval`, :class:`ClassRetrieval` (a user's own class),
  :class:`EmbeddingRetrieval` (nearest neighbours of mf factors, faiss or numpy) and
  :class:`SwitchedRetrieval` (one model, then another: an upstream upgrade).
* :class:`LearnedPipeline` -- a learned upstream (:class:`FactorUpstream`, its own loss)
  whose outputs are the inputs of a linear ranker (:class:`FeatureRanker`).
* :class:`ItemIndex` -- the exact or approximate inner-product index.
"""

from loopsim.policies.pipeline.embedding import EmbeddingRetrieval
from loopsim.policies.pipeline.feature_ranker import FeatureRanker
from loopsim.policies.pipeline.index import ItemIndex, faiss_available
from loopsim.policies.pipeline.learned_pipeline import LearnedPipeline
from loopsim.policies.pipeline.learned_upstream import FactorUpstream
from loopsim.policies.pipeline.pipeline import Pipeline, StageSchedule
from loopsim.policies.pipeline.retrieval import (
    ClassRetrieval,
    EstimatorRetrieval,
    RandomRetrieval,
    SwitchedRetrieval,
)
from loopsim.policies.pipeline.stage_checks import check_pool_size
from loopsim.simulator.contract.retrieval import Pool, RetrievalStage

__all__ = [
    "ClassRetrieval",
    "EmbeddingRetrieval",
    "EstimatorRetrieval",
    "FactorUpstream",
    "FeatureRanker",
    "ItemIndex",
    "LearnedPipeline",
    "Pipeline",
    "Pool",
    "RandomRetrieval",
    "RetrievalStage",
    "StageSchedule",
    "SwitchedRetrieval",
    "check_pool_size",
    "faiss_available",
]
