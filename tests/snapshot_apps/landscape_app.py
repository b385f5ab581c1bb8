"""A bare app that opens the cliff explorer: for snapshots and trying it by hand."""

from textual.app import App

from rnntui.ui.landscape import LandscapeScreen


class LandscapeApp(App):
    def on_mount(self) -> None:
        self.push_screen(LandscapeScreen())


if __name__ == "__main__":
    LandscapeApp().run()
