"""The Training page and the option combinations `genrelab train` refuses.

What the page can build never trips the CLI's refusals (every architecture, preset and fine-tune choice, with a
teacher and a start model filled in); a refused command (say, one pasted from a shell into a resumed session)
shows the CLI's own one line, starts nothing and keeps the options editable. Real Qt offscreen, the CLI's parser.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")


def _page(window):
    page = window.pages.get("train")
    assert page is not None, "the Training page is not installed"
    return page


def test_nothing_the_page_builds_is_refused(qtbot, window, tmp_path):
    from genrelab.gui.pages.training import jobs

    options = _page(window).options
    options.set_out(tmp_path / "out")
    options.student.teacher.set_text(tmp_path / "teacher.onnx")
    options.student.oof.setValue(5)
    options.student.init_from.set_text(tmp_path / "start.onnx")
    seen = set()
    for preset in jobs.PRESETS:
        options.apply_preset(preset.name)
        jobs.parse_arguments(jobs.preset_argv(preset.name, tmp_path, tmp_path / "out"))
        for arch in jobs.architectures():
            options.arch.setCurrentText(arch)
            finetunes = range(options.musicnn.finetune.count()) if options.is_musicnn() else [0]
            for i in finetunes:
                options.musicnn.finetune.setCurrentIndex(i)
                argv = options.argv(tmp_path, False)
                args = jobs.parse_arguments(argv)  # raises GenreLabError on a refused combination
                seen.add((args.arch, args.finetune, args.image))
    assert ("musicnn_transfer", "midend3", "native") in seen and ("resnet_bigru", None, "paper") in seen


@pytest.mark.parametrize(("options", "line"), [
    (["--arch", "musicnn-transfer", "--input", "stft"],
     "musicnn-transfer needs --input mel --image native (its adapter turns the Mel window into musicnn's input)"),
    (["--arch", "resnet_bigru", "--distill-oof", "5"],
     "--distill-oof needs --distill MODEL (it says how that teacher answers)"),
])
def test_a_refused_command_shows_the_cli_line_and_starts_nothing(qtbot, window, tmp_path, capsys, options, line):
    from genrelab.cli import main

    argv = ["--data", str(tmp_path / "data"), *options, "--out", str(tmp_path / "out")]
    assert main(["train", *argv]) == 2
    assert capsys.readouterr().err.strip() == f"error: {line}"  # the shell's line

    page = _page(window)
    page._launch(argv)  # noqa: SLF001 - what Start and Resume call with the page's command
    assert page.failure == line and page.notice.text() == f"Training failed: {line}"
    assert page.state == "idle" and page.job is None and page.options.arch.isEnabled()
    assert "$ genrelab train" not in page.log.toPlainText()
    assert not (tmp_path / "out").exists()
