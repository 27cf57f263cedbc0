"""How much information summaries keep: the Fisher estimator, the information check, probes."""
