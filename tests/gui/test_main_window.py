"""The main window: title, unsaved-changes prompt, files, recent files, autosave recovery, layout, panels."""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QLabel, QMessageBox

from workbench import edits
from workbench.gui.app import main, start
from workbench.gui.files.preset_gallery import PresetGallery
from workbench.presets import load_preset
from workbench.spec import load_spec

Button = QMessageBox.StandardButton


def edit(window):
    """One small undoable edit."""
    window.controller.set_param("conv1", "filters", 64)


def test_starts_on_the_default_preset_with_a_clean_title(window):
    assert window.document.spec == load_preset("overfeat-small")
    assert window.windowTitle() == "overfeat-small (preset)[*] — CNN Workbench"
    assert not window.isWindowModified()
    edit(window)
    assert window.isWindowModified() and window.document.dirty
    window.document.undo_stack.undo()
    assert not window.isWindowModified()


def test_closing_with_unsaved_changes_asks(window, dialogs, tmp_path, monkeypatch):
    edit(window)
    dialogs.answers = [Button.Cancel]
    assert not window.close()
    assert window.isVisible() and dialogs.of_kind("question")[-1][1] == "Unsaved changes"
    target = tmp_path / "mine.yaml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target)[:-5], ""))
    dialogs.answers = [Button.Save]
    assert window.close()
    assert load_spec(target).layer("conv1").params["filters"] == 64


def test_discard_closes_without_writing(window, dialogs, settings):
    edit(window)
    dialogs.answers = [Button.Discard]
    assert window.close()
    assert settings.value("session/lastCleanExit") is not None


def test_save_open_round_trip_and_recent_files_persist(window, tmp_path, settings_path, dialogs):
    edit(window)
    path = tmp_path / "net.yaml"
    assert window.files.save_as(str(path))
    assert not window.document.dirty and window.windowTitle().startswith("net.yaml[*]")
    window.files.new_file()
    assert window.document.spec.layers == [] and window.windowTitle().startswith("untitled")
    assert window.files.open_file(str(path))
    assert window.document.spec.layer("conv1").params["filters"] == 64
    assert window.document.path == str(path)
    stored = QSettings(str(settings_path), QSettings.Format.IniFormat)
    assert stored.value("files/recent") in ([str(path.resolve())], str(path.resolve()))
    window.rebuild_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.text().startswith("&1")]
    assert entries and entries[0].toolTip() == str(path.resolve())
    window.files.new_file()
    entries[0].trigger()
    assert window.document.path == str(path)
    assert dialogs.of_kind("warning") == []


def test_opening_a_bad_file_reports_problems_and_keeps_the_document(window, tmp_path, dialogs):
    edit(window)
    before = window.document.spec.copy()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ninput: {channels: 3, height: 8, width: 8}\nlayers:\n  - {name: c, type: convv}\n")
    assert not window.files.open_file(str(bad))
    kind, title, text = dialogs.of_kind("warning")[-1]
    assert title == "Cannot open the spec" and "convv" in text and "bad.yaml:4" in text
    assert window.document.spec == before
    assert not window.files.open_file(str(tmp_path / "missing.yaml"))
    assert "file not found" in dialogs.of_kind("warning")[-1][2]
    assert dialogs.of_kind("question") == []  # nothing to discard for a file that cannot be opened
    assert window.document.dirty


def test_new_with_unsaved_changes_can_be_cancelled(window, dialogs):
    edit(window)
    dialogs.answers = [Button.Cancel]
    assert not window.files.new_file()
    assert window.document.spec.layer("conv1").params["filters"] == 64


def test_preset_gallery_lists_presets_and_opens_the_chosen_one(window, monkeypatch, qtbot):
    gallery = PresetGallery(window)
    qtbot.addWidget(gallery)
    assert gallery.list.count() == len(os.listdir(os.path.join(os.path.dirname(__file__), "../../presets")))
    gallery.select("lenet5")
    assert "lenet5" in gallery.detail.text() and "1×32×32" in gallery.detail.text()

    def choose(self):
        self.select("nin-gap")
        self.accept()
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PresetGallery, "exec", choose)
    assert window.files.open_preset()
    assert window.document.spec.name == load_preset("nin-gap").name
    assert window.document.path is None and window.windowTitle().startswith("nin-gap (preset)")


def test_autosave_is_offered_after_a_crash(make_window, settings, tmp_path, dialogs):
    first = make_window()
    path = tmp_path / "work.yaml"
    first.files.save_as(str(path))
    edit(first)
    first.autosaver.timer.stop()
    assert first.autosaver.save_if_needed()
    assert not first.autosaver.save_if_needed()  # nothing new since
    edited = first.document.spec.copy()
    first.document.undo_stack.setClean()  # the process "dies": no clean exit is recorded

    second = make_window()
    dialogs.answers = [Button.Yes]
    assert second.files.offer_recovery()
    assert "work.yaml" in dialogs.of_kind("question")[-1][2]
    assert second.document.spec == edited and second.document.dirty
    assert second.document.path == str(path)
    second.document.undo_stack.setClean()
    second.close()  # a clean exit: the autosave goes, nothing is offered next time
    third = make_window()
    assert not third.files.offer_recovery()


def test_autosave_timer_writes_only_while_dirty(window, qtbot):
    saver = window.autosaver
    saver.timer.setInterval(20)
    qtbot.wait(60)
    assert not saver.path.exists()  # nothing unsaved yet
    edit(window)
    qtbot.waitUntil(saver.path.exists, timeout=2000)
    assert "filters: 64" in saver.path.read_text()


def test_autosave_older_than_the_last_clean_exit_is_ignored(window, settings):
    edit(window)
    window.autosaver.save_now()
    past = time.time() - 60
    os.utime(window.autosaver.path, (past, past))
    window.settings.record_clean_exit()
    assert not window.files.offer_recovery()


def test_layout_persists_between_starts(make_window):
    first = make_window()
    first.resize(760, 540)  # the offscreen screen is 800×600
    first.splitter.setSizes([150, 300, 300])
    first.show()
    sizes = first.splitter.sizes()
    first.close()
    second = make_window()
    second.show()
    assert (second.width(), second.height()) == (760, 540)
    assert second.splitter.sizes() == sizes


def test_data_folder_and_recent_files_survive_a_restart(settings_path, tmp_path):
    from workbench.gui.files.settings import MAX_RECENT, AppSettings

    first = AppSettings(QSettings(str(settings_path), QSettings.Format.IniFormat))
    first.last_data_folder = str(tmp_path / "images")
    for i in range(MAX_RECENT + 2):
        first.add_recent(tmp_path / f"spec{i}.yaml")
    again = AppSettings(QSettings(str(settings_path), QSettings.Format.IniFormat))
    assert again.last_data_folder == str(tmp_path / "images")
    recent = again.recent_files()
    assert len(recent) == MAX_RECENT and recent[0].endswith(f"spec{MAX_RECENT + 1}.yaml")


def test_add_panel_adds_a_tab_and_a_view_menu_entry(window):
    titles = [window.panel_tabs.tabText(i) for i in range(window.panel_tabs.count())]
    assert titles[0] == "Training" and titles[1].startswith("Doctor") and titles[2:] == ["Predict", "Inside"]
    panel = QLabel("extra")
    window.add_panel("Extra", panel)
    assert window.panel_tabs.count() == 5 and window.panel_tabs.tabText(4) == "Extra"
    entry = [a for a in window.view_menu.actions() if a.text() == "Extra panel"][0]
    window.show_panel(window.panels.doctor)
    assert window.current_panel() is window.panels.doctor
    entry.trigger()
    assert window.current_panel() is panel
    assert entry.shortcut().toString() == "Ctrl+5"


def test_extra_file_actions_go_above_quit(window):
    from PySide6.QtGui import QAction

    action = QAction("Export…", window)
    window.insert_file_action(action)
    actions = window.file_menu.actions()
    assert actions.index(action) < actions.index(window.quit_action)


def test_start_opens_a_preset_given_on_the_command_line(qtbot, settings):
    window = start(["main.py", "lenet5"])
    qtbot.addWidget(window)
    assert window.isVisible() and window.document.spec == load_preset("lenet5")
    window.close()


def test_help_prints_usage_without_opening_a_window(capsys):
    assert main(["main.py", "--help"]) == 0
    assert "usage: python main.py" in capsys.readouterr().out


def test_edits_module_and_window_agree(window):
    """The window's insert goes through workbench.edits: same names, same parameters."""
    expected, name = edits.insert_layer(window.document.spec, 4, "dense", {"units": 64})
    window.controller.insert_palette_entry("Dense", 4)
    assert window.document.spec == expected and window.controller.selected == name
