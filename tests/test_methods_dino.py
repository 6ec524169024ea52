"""methods/dino.py: DINO's centre and teacher-temperature schedule."""

import pytest
from helpers import JOINT_FAST as FAST
from helpers import tiny_joint as tiny

from sslworkbench import train


def test_dino_keeps_centre_and_teacher_temperature_schedule(data):
    method = tiny("dino", local_crops=2, local_size=16)
    history = train(method, data, epochs=2, **FAST)  # 8 steps; warm-up over the first 30%
    temps = history.metric("teacher_temperature")
    assert temps[0] == pytest.approx(0.04) and temps[-1] == pytest.approx(0.07)
    assert all(a <= b for a, b in zip(temps, temps[1:]))
    assert method.center.abs().sum() > 0  # a running mean of the teacher's outputs
