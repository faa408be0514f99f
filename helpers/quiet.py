"""Import TensorFlow and Keras without the C++ start-up lines they print.

TensorFlow writes several lines straight to the process's stderr (file descriptor 2)
when it is imported and when it first looks for devices: "All log messages before
absl::InitializeLog() is called ...", "Could not find cuda drivers ...", "failed call to
cuInit ...", oneDNN and CPU-feature notices. On some builds ``TF_CPP_MIN_LOG_LEVEL``
does not stop them, because they are printed before TensorFlow's logging reads it
(tensorflow/tensorflow#100442). In a notebook they land in the outputs, and students
take them for errors.

:func:`import_tensorflow` imports both libraries and lists the devices once (which
triggers the CUDA probe) while file descriptor 2 points at a temporary file, then puts
stderr back and re-prints every captured line that is *not* such a known start-up notice.
Nothing real is hidden: an unexpected message still reaches the notebook.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile

#: Start-up notices that carry no information for a CPU-only student machine.
NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\)"
    r"|cudart_stub\.cc|cuda_platform\.cc|cuda_driver\.cc|cuda_diagnostics\.cc"
    r"|Could not find cuda drivers|failed call to cuInit"
    r"|Unable to register cu(?:FFT|DNN|BLAS) factory"
    r"|oneDNN custom operations are on|cpu_feature_guard\.cc"
    r"|To enable the following instructions: .*rebuild TensorFlow"
    r"|computation_placer\.cc"
)

_done = False


def _keep(line: str) -> bool:
    return bool(line.strip()) and not NOISE.search(line)


def import_tensorflow() -> bool:
    """Import TensorFlow and Keras quietly (once per process); False if not installed."""
    global _done
    if _done:
        return True
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no real file descriptor 2 (unusual embeddings): import loudly
        saved = None
    with tempfile.TemporaryFile(mode="w+b") as capture:
        if saved is not None:
            os.dup2(capture.fileno(), 2)
        try:
            import keras  # noqa: F401
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe prints here, not later
        except ImportError:
            return False
        finally:
            if saved is not None:
                sys.stderr.flush()
                os.dup2(saved, 2)
                os.close(saved)
        capture.seek(0)
        text = capture.read().decode("utf-8", errors="replace")
    kept = [line for line in text.splitlines() if _keep(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr)
    _done = True
    return True


@contextlib.contextmanager
def retracing_warnings_hidden():
    """Hide TensorFlow's "triggered tf.function retracing" warning for the duration.

    Training several models of the same shape one after another (a search, seeds, a
    comparison) traces a fresh training step for each; TensorFlow's retracing detector then
    warns, although it is expected here and says nothing wrong. Only TensorFlow's Python
    logger is set to errors-only, and put back afterwards.
    """
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
