"""Pure service-quality science (DOMAIN.md §3): numpy/scipy only, no I/O, no clock.

Modules: :mod:`servqual` (gaps, SERVPERF, weights), :mod:`zone` (zone of
tolerance), :mod:`reliability` (Cronbach's alpha), :mod:`kano`, :mod:`ahp`,
:mod:`csi` (CSI, CSAT, NPS), :mod:`drivers` (betas, relative weights, IPA),
:mod:`loyalty`, :mod:`sigma` (DPMO, sigma level), :mod:`staffing` (Erlang C).
Functions take sufficient statistics (counts, sums, sum-of-products matrices,
5×5 Kano tables) so that an engine can reduce any number of rows first.
"""
