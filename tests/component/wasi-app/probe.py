"""The probe component of build.sh: exports one function that does nothing."""
import wit_world


class WitWorld(wit_world.WitWorld):
    def ping(self) -> None:
        pass
