"""regress: map a performance vector to a target vector by examples (record, train, run)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import (BANG, NUMBER, TEXT, VECTOR, Inlet, Inputs, Node, Outlet, Param,
                           ParamError)
from nodes.iml import algorithms, per_output
from nodes.iml.algorithms import ALGORITHMS, SOLVERS, Regressor, Settings
from nodes.iml.dataset import ExampleStore
from nodes.iml.mlp import ACTIVATIONS
from nodes.iml.training import Outcome, Trainer, TrainingJob
from nodes.interop import flucoma_files


class Regress(Node):
    """Learn a mapping from x to target by example, as Wekinator and FluCoMa do.

    Pose (``x``), choose the sound (``target``, usually from latent-explorer), ``record``
    — or hold ``record_while`` to record at the input rate — then ``train`` (in the
    background: progress, loss and ``cancel``) and ``run``: the output is then the
    prediction for each ``x``; otherwise the target passes through as it arrives, so
    you hear what you are about to record. Examples are written to
    ``<patch>.data/<id>/`` as they are recorded (FluCoMa DataSet JSON pairs); the
    trained regressor is saved beside them (the MLP as FluCoMa MLP JSON).
    docs/iml.md has the workflow and the file formats.

    For the editor (any thread): ``report()`` (progress, loss, loss_history, examples,
    training, running), ``predict(x)`` and ``examples()``.
    """

    type_name = "regress"
    category = "learning"
    inlets = (
        Inlet("x", VECTOR, "performance vector: recorded with the target, and what "
                           "predictions are made from while running"),
        Inlet("target", VECTOR, "the output to pair with x (usually from latent-explorer); "
                                "while not running it is sent on at once, so what plays is "
                                "what record pairs"),
        Inlet("record", BANG, "record one example: the latest x with the latest target"),
        Inlet("record_while", NUMBER, "nonzero: record an example at every x (one round); "
                                      "0: stop"),
        Inlet("delete_last", BANG, "delete the last round (one record, or one record_while "
                                   "pass)"),
        Inlet("delete", TEXT, "delete the examples of these ids (separated by spaces), "
                              "as examples() lists them"),
        Inlet("clear", BANG, "delete every example (the trained regressor stays)"),
        Inlet("train", BANG, "train from scratch on the examples, in the background"),
        Inlet("train_more", BANG, "continue training the current MLP from its weights "
                                  "(other algorithms train again)"),
        Inlet("cancel", BANG, "stop the training; the previous regressor stays in use"),
        Inlet("run", NUMBER, "nonzero: output predictions; 0: pass the target through"),
    )
    outlets = (
        Outlet("out", VECTOR, "the prediction while running, otherwise the target",
               like="target"),
        Outlet("trained", BANG, "a training finished and its regressor is now in use"),
    )
    algorithm = Param("choice", "mlp", "mlp: a neural network for all outputs at once; "
                      "knn: blend of the k nearest examples (reproduces each exactly); "
                      "linear; poly: polynomial of the given degree", choices=ALGORITHMS)
    hidden = Param("vector", [16.0, 16.0], "mlp: units per hidden layer", range=(1, 1024))
    activation = Param("choice", "tanh", "mlp: hidden-layer activation",
                       choices=tuple(ACTIVATIONS))
    solver = Param("choice", "lbfgs", "mlp: lbfgs (best for few examples), adam or sgd",
                   choices=SOLVERS)
    learning_rate = Param("float", 0.001, "mlp with adam or sgd: step size",
                          range=(1e-7, 1e6))
    max_iter = Param("int", 1000, "mlp: iterations per train (or train_more)",
                     range=(1, 1_000_000))
    alpha = Param("float", 1e-4, "mlp, linear, poly: L2 regularisation", range=(0.0, 1e3))
    k = Param("int", 3, "knn: neighbours blended, weighted by 1/distance", range=(1, 1000))
    degree = Param("int", 2, "poly: polynomial degree", range=(1, 6))
    seed = Param("int", 0, "mlp: random seed of the initial weights (same seed, same "
                 "examples: same network)", range=(0, 2**31 - 1))
    outputs = Param("text", "", "one regressor per output (Wekinator's way), one entry per "
                    "output value: an algorithm, or algorithm:inputs, e.g. 'knn knn mlp:0,2 "
                    "linear:1'; empty: one regressor for all outputs with algorithm")
    autorun = Param("bool", False, "run from the start (examples saved without a trained "
                    "regressor are trained first)")

    def __init__(self, node_id: str = "", params: dict[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if not self.hidden or any(not v.is_integer() for v in self.hidden):
            raise ParamError(f"hidden must list whole numbers of units, one per layer, "
                             f"e.g. [16, 16]; got {self.hidden}")
        try:
            self._output_specs = per_output.parse_outputs(self.outputs)
        except ValueError as exc:
            raise ParamError(str(exc)) from None
        self._store: ExampleStore | None = None
        self._regressor: Regressor | None = None
        self._trainer: Trainer | None = None
        self._recording = False
        self._round = 0
        self._running = self.autorun
        self._last_x: np.ndarray | None = None
        #: open got as far as reading the examples (save_state writes them back only then)
        self._ready = False

    def on_param(self, name: str, value: Any) -> None:
        if name == "outputs":
            self._output_specs = per_output.parse_outputs(value)

    # -- life cycle ----------------------------------------------------------------------------

    def open(self) -> None:
        self._store = ExampleStore()
        self._regressor = None
        self._trainer = Trainer(self._finished)
        self._recording = False
        self._round = 0
        self._running = self.autorun
        self._last_x = None
        folder = self.ctx.data_dir
        self._store.open(folder)
        if folder is not None and folder.is_dir():
            self._regressor = per_output.load_regressor(folder, bool(self._output_specs),
                                                        self.algorithm)
        self._ready = True
        if not self.ctx.offline:
            algorithms.warm_up()  # the first train answers at once
        if self.autorun and self._regressor is None and len(self._store):
            self._train(warm=False)  # examples shipped without a regressor: train them now

    def close(self) -> None:
        if self._trainer is not None:
            self._trainer.close()
        if self._store is not None:
            self._store.close()

    def save_state(self, folder: Path) -> None:
        self.state_snapshot(folder)()

    def state_snapshot(self, folder: Path) -> Callable[[], None]:
        """Control thread: copy the examples now; the returned function writes them and
        the regressor in use into ``folder`` later (the engine's saver thread). The regressor
        is read when written: it is replaced whole, and the newest is the one to keep."""
        if not self._ready:
            return lambda: None  # open failed (a bad file?): leave what is on disk alone
        write_examples = self._store.snapshot(folder, live=folder == self.ctx.data_dir)

        def write() -> None:
            write_examples()
            self._save_regressor(folder, self._regressor)
        return write

    state_files = "two FluCoMa DataSets (inputs, outputs) and/or an MLP"

    def import_state(self, folder: Path, files: Sequence[Path], replace: bool,
                     sizes: Mapping[str, int | None]) -> list[str]:
        return flucoma_files.import_regress(self.id, folder, files, replace,
                                            (sizes.get("x"), sizes.get("out")), self.algorithm)

    def export_state(self, folder: Path, out_dir: Path) -> list[str]:
        return flucoma_files.export_regress(self.id, folder, out_dir)

    #: The params each algorithm uses (the rest do not apply: the editor hides them).
    ALGORITHM_PARAMS = {
        "mlp": {"hidden", "activation", "solver", "learning_rate", "max_iter", "alpha", "seed"},
        "knn": {"k"}, "linear": {"alpha"}, "poly": {"degree", "alpha"}}

    def param_applies(self, name: str) -> bool:
        chosen = {spec.algorithm for spec in self._output_specs} or {self.algorithm}
        if name == "algorithm":
            return not self._output_specs
        if name == "learning_rate":
            return "mlp" in chosen and self.solver != "lbfgs"
        used = set().union(*self.ALGORITHM_PARAMS.values())
        return name not in used or any(name in self.ALGORITHM_PARAMS[a] for a in chosen)

    # -- messages ------------------------------------------------------------------------------

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        changed = inputs.changed
        if "clear" in changed:
            self._store.clear()
            self.ctx.learned(save=False)  # journaled
        if "delete" in changed:
            ids = str(inputs["delete"]).replace(",", " ").split()
            deleted = self._store.delete(ids)
            if deleted < len(set(ids)):
                self.ctx.log.warning("delete: %d of %d ids are not recorded examples",
                                     len(set(ids)) - deleted, len(set(ids)))
            self.ctx.learned(save=False)  # journaled
        if "delete_last" in changed:
            deleted = self._store.delete_last_round()
            self.ctx.log.info("deleted the last round: %d examples", deleted)
            self.ctx.learned(save=False)
        x_first = False
        if "record_while" in changed:
            # x and the switch can arrive in one tick (Wekinator's /wek/inputs and
            # startRecording share a port): x counts on the side it arrived on.
            x_first = "x" in changed and inputs.times["x"] < inputs.times["record_while"]
            if x_first and self._recording:
                self._record(inputs, self._round)
            on = bool(inputs["record_while"])
            if on and not self._recording:
                self._round = self._store.new_round()
            self._recording = on
        if "record" in changed:
            self._record(inputs, self._store.new_round())
        elif self._recording and "x" in changed and not x_first:
            self._record(inputs, self._round)
        if "run" in changed:
            was_running, self._running = self._running, bool(inputs["run"])
            if self._running and not was_running and self._regressor is None:
                self.ctx.log.warning("run: %s", self._untrained())  # once per switch-on
        if "cancel" in changed:
            self._trainer.cancel()
        if "train" in changed or "train_more" in changed:
            self._train(warm="train" not in changed)
        if "x" in changed:
            self._last_x = inputs["x"]
        if "x" in changed or "run" in changed:
            return self._output(inputs)
        if "target" in changed and not self._running:
            return {"out": inputs["target"]}  # heard now, not at the next x
        return None

    def _untrained(self) -> str:
        """Why there is no prediction yet, and what happens meanwhile."""
        if self._trainer.training:
            return "training is under way; the target passes through until it finishes"
        if len(self._store) == 0:
            return "nothing trained yet and no examples; record some, then train"
        return (f"nothing trained yet ({len(self._store)} examples); the target passes "
                f"through until you train")

    def _record(self, inputs: Inputs, round_: int) -> None:
        for name in ("x", "target"):
            if inputs[name] is None:
                raise ValueError(f"record: nothing has arrived at {name} yet")
        self._store.add(inputs["x"], inputs["target"], round_)
        self.ctx.learned(save=False)  # journaled

    def _output(self, inputs: Inputs) -> dict[str, Any] | None:
        regressor = self._regressor
        if self._running and regressor is not None and inputs["x"] is not None:
            y = regressor.predict(np.asarray(inputs["x"], dtype=np.float64)[None, :])[0]
            return {"out": y.astype(np.float32)}
        if inputs["target"] is not None:
            return {"out": inputs["target"]}
        return None

    # -- training ------------------------------------------------------------------------------

    def _settings(self) -> Settings:
        return Settings(algorithm=self.algorithm, hidden=tuple(int(v) for v in self.hidden),
                        activation=self.activation, solver=self.solver,
                        learning_rate=self.learning_rate, max_iter=self.max_iter,
                        alpha=self.alpha, k=self.k, degree=self.degree, seed=self.seed)

    def _train(self, warm: bool) -> None:
        if len(self._store) == 0:  # a request that cannot be met, not a fault
            self.ctx.log.warning("train: no examples yet; record some first")
            return
        _, x, y = self._store.arrays()
        settings = self._settings()
        previous = self._regressor if warm else None
        specs = self._output_specs

        def fit(job: TrainingJob) -> Regressor:
            if specs:
                return per_output.fit(specs, settings, x, y, job, previous)
            return algorithms.fit(settings, x, y, job, previous)

        # Offline renders train inline, so that a render is deterministic; a failure
        # then flags the node from here, as any error in process does.
        if not self.ctx.offline:
            self._trainer.start(fit, background=True)
            return
        self._trainer.start(fit, background=False)
        outcome = self._trainer.last
        if outcome is not None and outcome.status in ("diverged", "failed"):
            raise RuntimeError(outcome.message)

    def _finished(self, outcome: Outcome) -> None:
        """Training thread: install the regressor (one reference swap), save it, and send
        the new prediction for the latest x when running."""
        if outcome.regressor is None:
            if outcome.status == "cancelled" or self.ctx.offline:
                self.ctx.log.info(outcome.message)
            else:
                self.ctx.error(outcome.message)
            return
        self._regressor = outcome.regressor
        self.ctx.log.info("trained %s in %.2f s", outcome.regressor.algorithm, outcome.seconds)
        folder = self._store.folder
        if folder is not None:
            try:
                self._save_regressor(folder, outcome.regressor)
            except OSError as exc:
                self.ctx.error(f"could not save the trained regressor in {folder}: {exc}")
        self.ctx.learned(save=False)  # saved just above (or nowhere to save yet)
        self.ctx.post("trained", True)
        x = self._last_x
        if self._running and x is not None:  # heard at once, not at the next x
            try:
                y = outcome.regressor.predict(np.asarray(x, dtype=np.float64)[None, :])[0]
            except ValueError as exc:  # x changed size since: the next x says so too
                self.ctx.error(exc)
                return
            self.ctx.post("out", y.astype(np.float32))

    @staticmethod
    def _save_regressor(folder: Path, regressor: Regressor | None) -> None:
        if regressor is not None:
            regressor.save(folder)
        if folder.is_dir():
            per_output.remove_other_regressors(folder, regressor)

    # -- any thread ------------------------------------------------------------------------------

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Predictions (n, d_out) of the regressor in use for inputs ``x`` (n, d_in).

        Safe from any thread (the editor's latent map); raises RuntimeError when
        nothing is trained yet."""
        regressor = self._regressor
        if regressor is None:
            raise RuntimeError("regress: nothing trained yet")
        return regressor.predict(x)

    def examples(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Copies of the recorded examples: ids, inputs (n, d_in), targets (n, d_out).
        Safe from any thread."""
        return self._store.arrays()

    def report(self) -> dict[str, Any]:
        trainer = self._trainer
        job, last, regressor = trainer.job, trainer.last, self._regressor
        return {
            "algorithm": self.algorithm,
            "regressor": regressor.algorithm if regressor is not None else None,
            "examples": len(self._store),
            "rounds": self._store.rounds,
            "recording": self._recording,
            "training": trainer.training,
            "progress": job.progress if job is not None else 0.0,
            "loss": job.loss if job is not None else None,
            "loss_history": list(job.history) if job is not None else [],
            "running": self._running,
            "trained": regressor is not None,
            "last_training": None if last is None else (
                last.message or f"trained in {last.seconds:.2f} s"),
            "saved_to": str(self._store.folder) if self._store.folder else None,
        }
