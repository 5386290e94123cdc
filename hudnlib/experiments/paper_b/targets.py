"""Paper B's published numbers, transcribed from its Tables III and IV.

These are comparison targets only: they are printed in the ``paper`` column beside our
``reproduced`` numbers and never used to compute anything.
"""

from __future__ import annotations

COLUMNS = ("HAF", "HAF@g1", "HAF@g2", "HAF@g3", "HAF@g4")
"""Total HAF and the HAF of each alpha group (paper: HAF@alpha~0, @1, @2, @large)."""

TABLE_III = {  # low-fairness scenario
    "Ours": (70.543, 27.588, 58.780, -10.262, -5.563),
    "Random": (-1.490e15, 2.172, 11.58, -1.271e7, -1.490e15),
    "Max-SINR": (62.890, 24.699, 56.857, -11.713, -6.953),
    "PF": (63.128, 24.907, 58.985, -11.040, -9.724),
    "AF-Low": (-114.594, 25.426, 57.581, -28.130, -169.470),
    "AF-High": (57.274, 23.014, 57.291, -12.107, -10.924),
    "Min-Latency": (61.181, 23.294, 57.589, -11.200, -8.502),
    "2RS": (70.599, 27.488, 58.831, -10.189, -5.532),
    "GA": (69.772, 26.949, 58.678, -10.252, -5.596),
}

TABLE_IV = {  # high-fairness scenario
    "Ours": (34.229, 13.318, 44.437, -16.285, -7.240),
    "Random": (-3.855e14, 0.8119, 7.588, -1.196e8, -3.855e14),
    "Max-SINR": (27.083, 11.929, 43.099, -18.644, -9.301),
    "PF": (28.669, 12.222, 44.737, -16.618, -11.671),
    "AF-Low": (-186.106, 12.424, 43.670, -40.795, -201.405),
    "AF-High": (23.651, 11.262, 43.520, -17.958, -13.173),
    "Min-Latency": (28.379, 11.488, 43.719, -16.643, -10.186),
    "2RS": (36.757, 13.728, 44.967, -15.334, -6.603),
    "GA": (35.914, 13.253, 44.797, -15.442, -6.683),
}

TABLES = {"low": TABLE_III, "high": TABLE_IV}
