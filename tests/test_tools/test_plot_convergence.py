# Copyright (c) hsjp-mmpose contributors.
"""tools/plot_convergence.py: a thin command line over plot_convergence."""
import json
import sys

from tests.utils import REPO_ROOT, run_command

TOOL = REPO_ROOT / 'tools' / 'plot_convergence.py'


def _work_dir(tmp_path, name, values):
    work_dir = tmp_path / name
    work_dir.mkdir()
    records = [dict(epoch=e, iter=10 * e, elapsed_s=3. * e, metrics={'coco/AP': v})
               for e, v in enumerate(values, 1)]
    (work_dir / 'convergence.json').write_text(json.dumps(records))
    return work_dir


def test_plots_runs_and_names_a_work_dir_without_records(tmp_path):
    a = _work_dir(tmp_path, 'run_a', [0.1, 0.55, 0.6])  # 90% of 0.6: 0.54
    b = _work_dir(tmp_path, 'run_b', [0.2, 0.3])
    out = tmp_path / 'curves.png'
    proc = run_command([sys.executable, str(TOOL), str(a), str(b), '--metric', 'coco/AP',
                        '--labels', 'hsjp', 'scratch', '--out', str(out)])
    assert out.read_bytes().startswith(b'\x89PNG')
    assert 'hsjp: first epoch within 90% of its best coco/AP: 2' in proc.stdout
    assert 'scratch: first epoch within 90% of its best coco/AP: 2' in proc.stdout

    bare = tmp_path / 'run_without_hook'
    bare.mkdir()
    proc = run_command([sys.executable, str(TOOL), str(a), str(bare), '--metric', 'coco/AP',
                        '--out', str(tmp_path / 'x.png')], check=False)
    assert proc.returncode == 2
    assert str(bare) in proc.stdout and 'convergence.json' in proc.stdout
    assert "dict(type='ConvergenceRecorderHook')" in proc.stdout
    assert 'Traceback' not in proc.stdout
    assert not (tmp_path / 'x.png').exists()
