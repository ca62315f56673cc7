"""`kari simulate`: one whole round on a fresh database, through the services only, with a
simulated clock, simulated people, and checks at the end that the law held (issue 20).

See docs/simulation.md.
"""
