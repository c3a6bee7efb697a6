# Copyright (c) hsjp-mmpose contributors.
"""hsjp_mmpose.experiments.report: the one report format of every experiment."""
import json

from hsjp_mmpose.experiments import ExperimentRunner, format_ap, write_report


def test_format_ap_is_percent_with_one_decimal():
    assert format_ap(0.25123) == '25.1' and format_ap(0.0) == '0.0' and format_ap(None) == 'n/a'
    assert format_ap(1.0) == '100.0'


def test_write_report_writes_markdown_json_and_plot(tmp_path):
    lines = []
    runner = ExperimentRunner(tmp_path, log=lines.append, name='t')
    runner.runs['arm'] = dict(finished=True)
    drawn = []
    written = write_report(runner, '| a |\n|---|\n| 1 |', extra=dict(table=[1]),
                           plot=lambda path: drawn.append(path) or path.write_bytes(b'png'),
                           plot_name='curves.png')
    assert written == ['results.md', 'results.json', 'curves.png']
    assert (tmp_path / 'results.md').read_text() == '| a |\n|---|\n| 1 |\n'
    saved = json.loads((tmp_path / 'results.json').read_text())
    assert saved == dict(table=[1], runs=dict(arm=dict(finished=True)))
    assert drawn == [tmp_path / 'curves.png'] and any('| 1 |' in line for line in lines)


def test_a_failing_plot_does_not_stop_the_report(tmp_path):
    lines = []
    runner = ExperimentRunner(tmp_path, log=lines.append)

    def broken(path):
        raise KeyError('no record has the metric')

    assert write_report(runner, 'text', plot=broken) == ['results.md', 'results.json']
    assert (tmp_path / 'results.md').is_file() and not (tmp_path / 'convergence.png').exists()
    assert any('could not draw convergence.png' in line for line in lines)
