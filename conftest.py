"""Test-wide settings, read before any test or notebook kernel starts.

The notebook kernels that nbval starts inherit this process's environment, so setting the
variables here puts every notebook in FAST mode and keeps TensorFlow's C++ logs quiet.
"""

import os

os.environ["MNIST_FAST"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("MPLBACKEND", "Agg")
