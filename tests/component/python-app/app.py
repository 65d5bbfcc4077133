"""A Python application packaged as a component by componentize-py.

`compute` logs through the host's import and returns a sum of squares;
`greet` formats a string; `stats` returns the mean and the largest value.
"""
import wit_world
from wit_world.imports import host


class WitWorld(wit_world.WitWorld):
    def compute(self, n: int) -> int:
        host.log(f"computing {n}")
        return sum(i * i for i in range(n))

    def greet(self, name: str) -> str:
        return f"Hello, {name}!"

    def stats(self, xs: list) -> tuple:
        if not xs:
            return (0.0, 0.0)
        return (sum(xs) / len(xs), max(xs))
