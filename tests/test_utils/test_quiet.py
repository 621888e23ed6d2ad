import sys
import warnings

from mmdet_efficientdet.utils.quiet import quiet_known_noise, quiet_runtimes


def _emit():
    print('own line')
    print('Statistics collection \u2501\u2501\u2501\u2501 100% 4/4')
    print('"FileClient" will be deprecated in future')
    warnings.warn('Constant folding - Only steps=1 can be constant folded for opset >= 10',
                  UserWarning)
    warnings.warn('a warning of ours', UserWarning)


def test_known_noise_always_and_runtime_chatter_unless_verbose(capsys):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter('always')
        with quiet_known_noise(), quiet_runtimes(verbose=False):
            _emit()
    assert capsys.readouterr().out == 'own line\n'
    assert [str(w.message) for w in seen] == ['a warning of ours']
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter('always')
        with quiet_known_noise(), quiet_runtimes(verbose=True):
            _emit()
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        'own line', 'Statistics collection \u2501\u2501\u2501\u2501 100% 4/4'
    ]
    assert 'FileClient' not in out
    assert len(seen) == 2


def test_streams_are_restored():
    stdout, stderr = sys.stdout, sys.stderr
    with quiet_runtimes():
        assert sys.stdout is not stdout
    assert (sys.stdout, sys.stderr) == (stdout, stderr)
