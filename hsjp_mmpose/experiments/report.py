# Copyright (c) hsjp-mmpose contributors.
"""One report format for every experiment: ``results.md`` (Markdown, tables from
:func:`markdown_table`, AP as percent with one decimal by :func:`format_ap`),
``results.json`` (every arm and what the experiment adds) and, where there is one, a plot
(:func:`hsjp_mmpose.visualization.curves.plot_convergence`), all in the work dir."""
from pathlib import Path
from typing import Callable, List, Optional, Sequence

__all__ = ['format_ap', 'markdown_table', 'write_report']


def format_ap(value: Optional[float]) -> str:
    """COCO AP (a fraction, as CocoMetric gives it) as percent with one decimal."""
    return 'n/a' if value is None else f'{100 * value:.1f}'


def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A Markdown table (no trailing newline); cells are written with ``str``."""
    lines = ['| ' + ' | '.join(map(str, header)) + ' |', '|' + '---|' * len(header)]
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f'a row has {len(row)} cells for {len(header)} columns: {row}')
        lines.append('| ' + ' | '.join(map(str, row)) + ' |')
    return '\n'.join(lines)


def write_report(runner, text: str, extra: Optional[dict] = None,
                 plot: Optional[Callable[[Path], object]] = None,
                 plot_name: str = 'convergence.png') -> List[str]:
    """Write an experiment's report into ``runner.work_dir``.

    Args:
        runner (ExperimentRunner): The experiment's runner.
        text: The Markdown report, written to ``results.md`` and logged.
        extra: What the experiment adds to ``results.json`` beside its arms (settings,
            tables, totals).
        plot: Called with the path of ``plot_name`` to draw the plot; a failure is
            reported and does not stop the report (the table matters more).
        plot_name: The plot's file name.

    Returns:
        list[str]: The names of the files written.
    """
    work_dir = Path(runner.work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / 'results.md').write_text(text if text.endswith('\n') else text + '\n')
    runner.save(extra=extra)
    written = ['results.md', 'results.json']
    if plot is not None:
        try:
            plot(work_dir / plot_name)
            written.append(plot_name)
        except Exception as err:  # noqa: BLE001  the table matters more than the plot
            runner.say(f'could not draw {plot_name}: {err}')
    runner.log('\n' + text)
    runner.say(f'wrote {", ".join(written)} in {work_dir}')
    return written
