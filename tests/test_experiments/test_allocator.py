# Copyright (c) hsjp-mmpose contributors.
"""hsjp_mmpose.experiments.allocator: the glibc malloc settings of training subprocesses."""
import json
import os
import platform
import subprocess
import sys

import pytest

from hsjp_mmpose.experiments.allocator import MALLOC_ENV, with_malloc_env
from hsjp_mmpose.experiments.runner import subprocess_env

# Minor page faults of each of 12 training steps of a small convolutional network.
STEPS = '''
import json, resource, torch
torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 3, padding=1), torch.nn.ReLU(),
                          torch.nn.Conv2d(32, 32, 3, padding=1), torch.nn.ReLU(),
                          torch.nn.Conv2d(32, 17, 1))
optim = torch.optim.Adam(net.parameters())
x = torch.randn(16, 3, 64, 48)
faults = []
for _ in range(12):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    loss = net(x).square().mean()
    optim.zero_grad()
    loss.backward()
    optim.step()
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps(dict(faults=faults, weight=net[0].weight.sum().item())))
'''


def test_user_values_win():
    env = with_malloc_env({'MALLOC_TRIM_THRESHOLD_': '0', 'PATH': '/bin'})
    assert env['MALLOC_TRIM_THRESHOLD_'] == '0'
    assert env['MALLOC_MMAP_THRESHOLD_'] == MALLOC_ENV['MALLOC_MMAP_THRESHOLD_']
    assert env['PATH'] == '/bin'
    for key, value in MALLOC_ENV.items():
        assert subprocess_env()[key] == os.environ.get(key, value)


@pytest.mark.skipif(platform.libc_ver()[0] != 'glibc', reason='glibc malloc settings')
def test_training_steps_fault_no_pages_in_and_compute_the_same():
    def run(env):
        out = subprocess.run([sys.executable, '-c', STEPS], env=env, check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        return json.loads(out.splitlines()[-1])

    plain = {k: v for k, v in os.environ.items() if k not in MALLOC_ENV}
    default, tuned = run(dict(plain)), run(with_malloc_env(dict(plain)))
    # after the first steps, glibc's defaults fault pages in at nearly every step; the
    # settings leave few (the small network's threads' own arenas aside; none were left
    # in the small configs' steps)
    later_default, later_tuned = default['faults'][4:], tuned['faults'][4:]
    assert sum(later_tuned) < sum(later_default) / 2, (default['faults'], tuned['faults'])
    assert later_tuned.count(0) >= 4, tuned['faults']
    assert tuned['weight'] == default['weight']  # the same arithmetic
