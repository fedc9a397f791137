"""``manage.py fold_visit_figures [--loop SECONDS] [--batch-size N]``

Folds the visit changes appended by the database triggers into the dashboard's summaries (see
``tsuen.reports.figures``). Once by default; ``--loop 60`` keeps running and folds every minute.
The dashboard's figures are exact either way; folding keeps its reads short (they read the
changes not folded yet beside the summaries).
"""

from __future__ import annotations

from tsuen.core.batch_command import BatchLoopCommand
from tsuen.reports.figures import DEFAULT_BATCH_SIZE, fold


class Command(BatchLoopCommand):
    help = "Fold the visit changes into the dashboard's summaries (once, or every --loop seconds)."
    run = fold
    default_batch_size = DEFAULT_BATCH_SIZE
    done = "folded %d visit changes"
    batch_help = "changes folded per batch"
