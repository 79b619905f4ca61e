"""Topics: the managed list with how many interactions each has; rename and merge, undoably."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm.services import topics
from crm.services.topics import MergeResult, TopicRow

from ui.pages import common
from ui.pages.common import Column, EmptyState, RowsModel, SearchBox, fit_columns, make_table, selected_rows
from ui.tasks import TaskContext, TaskRunner


class TopicsDialog(QDialog):
    """Every topic (spelling variants are one topic) with its count of interactions.

    Signals:
        topics_changed(): a topic was renamed or merged (or that was undone).
        show_topic(int): the user asked to see the interactions of this topic.
        refreshed(): the list has been (re)loaded.
    """

    topics_changed = Signal()
    show_topic = Signal(int)
    refreshed = Signal()

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.setWindowTitle("Topics")
        self.resize(560, 520)
        self.rows: list[TopicRow] = []
        self._generation = 0

        intro = QLabel(
            "Each topic is counted once however it was typed: “Food Poverty”, “food-poverty” and "
            "“food poverties” are one topic. Rename a topic to change it on every interaction, or "
            "merge topics that mean the same; Edit ▸ Undo takes either back."
        )
        intro.setWordWrap(True)
        self.search = SearchBox("Find a topic", "Find a topic")
        self.model = RowsModel([Column("Topic", 1), Column("Interactions", 2, numeric=True)], self)
        self.table = make_table(self.model, "Topics")
        fit_columns(self.table, [30, 10], stretch=0)
        self.stack = EmptyState(self.table, "No topics yet: they appear as interactions are given topics.")
        self.count_label = QLabel()

        self.rename_edit = QLineEdit()
        self.rename_edit.setAccessibleName("New name for the selected topic")
        self.rename_button = QPushButton("&Rename")
        self.rename_button.setAccessibleName("Rename the selected topic")
        rename_row = QHBoxLayout()
        rename_row.addWidget(self.rename_edit, 1)
        rename_row.addWidget(self.rename_button)
        self.merge_box = QComboBox()
        self.merge_box.setAccessibleName("Topic to merge the selected topics into")
        self.merge_button = QPushButton("&Merge")
        self.merge_button.setAccessibleName("Merge the selected topics into the chosen one")
        merge_row = QHBoxLayout()
        merge_row.addWidget(self.merge_box, 1)
        merge_row.addWidget(self.merge_button)
        form = QFormLayout()
        form.addRow("Rename to", rename_row)
        form.addRow("Merge selected into", merge_row)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.show_button = self.buttons.addButton(
            "&Show interactions", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.buttons.rejected.connect(self.reject)
        self.show_button.clicked.connect(self._show_interactions)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.search)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.count_label)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self.search.search_changed.connect(lambda _t: self.refresh())
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.rename_button.clicked.connect(self.rename_selected)
        self.rename_edit.returnPressed.connect(self.rename_selected)
        self.merge_button.clicked.connect(self.merge_selected)
        self._selection_changed()
        self.refresh()

    # Loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        text = self.search.text().strip() or None

        def load(ctx: TaskContext) -> tuple[list[TopicRow], list[TopicRow]]:
            with ctx.db.session() as session:
                return topics.list_topics(session, text), topics.list_topics(session)

        def done(result: tuple[list[TopicRow], list[TopicRow]]) -> None:
            if generation != self._generation:
                return
            shown, every = result
            keep = set(self.selected_ids())
            self.rows = shown
            self.model.set_rows([(r.id, r.name, r.count) for r in shown])
            self.stack.set_empty(not shown, "No topic matches." if text and not shown else None)
            self.count_label.setText(f"{len(shown):,} topic{'s' if len(shown) != 1 else ''}")
            self.merge_box.clear()
            for r in every:
                self.merge_box.addItem(f"{r.name} ({r.count:,})", r.id)
            for i, r in enumerate(shown):
                if r.id in keep:
                    self.table.selectRow(i)
            self._selection_changed()
            self.refreshed.emit()

        common.run_task(self, self.runner, load, on_done=done)

    def selected_ids(self) -> list[int]:
        return [self.model.id_at(r) for r in selected_rows(self.table)]

    def select_topic(self, topic_id: int) -> None:
        row = self.model.row_of_id(topic_id)
        if row >= 0:
            self.table.selectRow(row)

    def _selection_changed(self, *_args: object) -> None:
        ids = self.selected_ids()
        self.rename_button.setEnabled(len(ids) == 1)
        self.rename_edit.setEnabled(len(ids) == 1)
        self.show_button.setEnabled(len(ids) == 1)
        self.merge_button.setEnabled(bool(ids) and self.merge_box.count() > 1)
        if len(ids) == 1:
            row = self.model.row_of_id(ids[0])
            self.rename_edit.setText(str(self.model.row_at(row)[1]))

    # Actions -------------------------------------------------------------------------------

    def _show_interactions(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 1:
            self.show_topic.emit(ids[0])
            self.accept()

    def _changed(self) -> None:
        self.topics_changed.emit()
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        from crm.errors import UserError

        if isinstance(exc, UserError):
            self.message.setText(str(exc))
            self.message.setStyleSheet("color: #d64541;")
        else:
            common.report_error(self, exc)

    def rename_selected(self) -> None:
        ids = self.selected_ids()
        new_name = self.rename_edit.text().strip()
        if len(ids) != 1 or not new_name:
            return
        topic_id = ids[0]
        old_name = str(self.model.row_at(self.model.row_of_id(topic_id))[1])
        if new_name == old_name:
            return

        def do(session: Session) -> None:
            topics.rename_topic(session, topic_id, new_name)

        def reverse(session: Session) -> None:
            topics.rename_topic(session, topic_id, old_name)

        self._write(
            f"Rename topic “{old_name}” to “{new_name}”",
            do,
            reverse,
            f"Renamed “{old_name}” to “{new_name}”.",
        )

    def merge_selected(self) -> None:
        keep_id = self.merge_box.currentData()
        merge_ids = [i for i in self.selected_ids() if i != keep_id]
        if keep_id is None or not merge_ids:
            self._failed_text("Choose the topics to merge, and a different topic to merge them into.")
            return
        keep_name = self.merge_box.currentText().rsplit(" (", 1)[0]
        names = [str(self.model.row_at(self.model.row_of_id(i))[1]) for i in merge_ids]
        done: list[MergeResult] = []

        def do(session: Session) -> None:
            done.clear()
            done.extend(topics.merge_topics(session, keep_id, i) for i in merge_ids)

        def reverse(session: Session) -> None:
            for result in reversed(done):
                topics.unmerge_topics(session, result)

        what = ", ".join(f"“{n}”" for n in names)
        self._write(f"Merge {what} into “{keep_name}”", do, reverse, f"Merged {what} into “{keep_name}”.")

    def _failed_text(self, text: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #d64541;")

    def _write(self, undo_text: str, do: Any, reverse: Any, told: str) -> None:
        def work(ctx: TaskContext) -> None:
            with ctx.db.transaction() as session:
                do(session)

        def finished(_result: None) -> None:
            common.push_undo(
                self.parentWidget() or self,
                common.PageCommand(self.runner, undo_text, do, reverse, self._changed_after_undo),
            )
            self.message.setStyleSheet("")
            self.message.setText(told)
            self._changed()

        common.run_task(self, self.runner, work, on_done=finished, on_error=self._failed, write=True)

    def _changed_after_undo(self) -> None:
        # The dialog may be closed by the time Edit ▸ Undo runs; the page still hears of it.
        self.topics_changed.emit()
        if self.isVisible():
            self.refresh()
