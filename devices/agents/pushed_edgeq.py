"""Imports of ``edgeq`` from the pushed, verified files only, and the agent's memory pass.

``python_agent.py`` calls :func:`use_pushed_package` before it imports edgeq, so an edgeq installed
on the device (an editable checkout, say) cannot answer in place of the files it checked. :func:`main`
(``python3 pushed_edgeq.py PKG MODEL CONFIG SEED``) is the memory pass's fresh process: it imports
next to nothing of its own, so the RSS it prints is the model's.
"""
import importlib.machinery
import json
import sys


def use_pushed_package(pkg):
    """Make ``import edgeq…`` find the files under ``pkg`` and nothing else."""
    class PushedEdgeq:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != "edgeq" and not name.startswith("edgeq."):
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, [pkg] if name == "edgeq" else path)
            if spec is None:  # stop here: an installed edgeq must not fill the gap
                raise ModuleNotFoundError(f"{name} is not in the pushed package", name=name)
            return spec
    sys.meta_path.insert(0, PushedEdgeq)


def main(pkg, model, config, seed):
    use_pushed_package(pkg)
    from edgeq.profiling.ondevice.measure import memory_child
    print(json.dumps(memory_child(model, json.loads(config), int(seed))))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
