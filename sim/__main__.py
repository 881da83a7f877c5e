"""Let ``python -m sim`` run the simulator's command line."""

from sim.cli import main

main(prog_name="python -m sim")
