"""Built-in parts imported before a supervised job forks (loopsim.experiments.runs.warm)."""

from __future__ import annotations

import subprocess
import sys

from hydra import compose, initialize_config_dir
from loopsim.experiments.cli.run import CONF_DIR
from loopsim.experiments.runs.warm import builtin_targets, import_builtin_parts
from omegaconf import OmegaConf


def test_the_targets_of_a_composed_run_are_found_and_imported() -> None:
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = compose("config", overrides=["experiment=mitigation", "policy=thompson"])
    targets = builtin_targets(cfg)
    assert {"loopsim.policies.ComposedPolicy", "loopsim.policies.selectors.ThompsonSelector",
            "loopsim.simulator.SyntheticWorld"} <= set(targets), targets
    imported = import_builtin_parts(cfg)
    # each target's module, the longest prefix that imports (one entry per module)
    assert imported == ["loopsim.policies", "loopsim.policies.estimators",
                        "loopsim.policies.selectors", "loopsim.simulator"]


def test_a_fresh_worker_gains_the_heavy_imports_before_the_fork() -> None:
    """In a process that has not run a job, the warm-up imports what the child would."""
    code = (
        "import sys\n"
        "from hydra import compose, initialize_config_dir\n"
        "from loopsim.experiments.cli.run import CONF_DIR\n"
        "from loopsim.experiments.runs.warm import import_builtin_parts\n"
        "with initialize_config_dir(config_dir=CONF_DIR, version_base='1.3'):\n"
        "    cfg = compose('config', overrides=['experiment=mitigation', 'policy=thompson'])\n"
        "assert 'scipy.special' not in sys.modules\n"
        "assert 'loopsim.policies.selectors.thompson_draws' not in sys.modules\n"
        "import_builtin_parts(cfg)\n"
        "assert 'scipy.special' in sys.modules\n"
        "assert 'loopsim.policies.selectors.thompson_draws' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_user_targets_are_left_to_the_child_and_broken_ones_skipped() -> None:
    cfg = OmegaConf.create({
        "policy": {"_target_": "my_company.ranking.Policy",
                   "estimator": {"_target_": "loopsim.no_such_module.Thing"}},
        "world": {"_target_": "loopsim.simulator.errors.ConfigError"},
        "nested": [{"_target_": "loopsim.simulator.errors.ConfigError.__init__"}],
    })
    assert builtin_targets(cfg) == ["loopsim.no_such_module.Thing",
                                    "loopsim.simulator.errors.ConfigError",
                                    "loopsim.simulator.errors.ConfigError.__init__"]
    assert import_builtin_parts(cfg) == ["loopsim.simulator.errors"]
    assert "my_company" not in sys.modules


def test_a_worker_keeps_its_plugin_scan_between_jobs() -> None:
    """After keep_plugin_scan, restoring a launcher's singleton state (which never holds
    the plugin registry) keeps this process's registry instead of scanning again; in a
    fresh process, so the patch does not leak into other tests."""
    code = (
        "from hydra.core.plugins import Plugins\n"
        "from hydra.core.singleton import Singleton\n"
        "from loopsim.experiments.runs.warm import keep_plugin_scan\n"
        "first = Plugins.instance()\n"
        "Singleton.set_state(Singleton.get_state())\n"
        "assert Plugins.instance() is not first  # Hydra alone: a new scan\n"
        "assert keep_plugin_scan() and not keep_plugin_scan()\n"
        "kept = Plugins.instance()\n"
        "state = Singleton.get_state()\n"
        "assert Plugins not in state['instances']\n"
        "Singleton.set_state(state)\n"
        "assert Plugins.instance() is kept\n"
        "from hydra.plugins.launcher import Launcher\n"
        "names = [c.__name__ for c in Plugins.instance().discover(Launcher)]\n"
        "assert 'BasicLauncher' in names, names\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
