"""A config whose printed text is formatted once per content."""
from __future__ import annotations

from mmengine.config import Config


class FormattedOnceConfig(Config):
    """An mmengine ``Config`` that formats ``pretty_text`` once per content.

    mmengine formats the whole config with yapf each time ``pretty_text`` is
    read (about 1 s for a detector's config), and a ``Runner`` reads it for
    the log, the dumped config, the message hub and the meta of **every**
    checkpoint it saves. This keeps the last text with the content it was
    formatted from (the config's ``repr``) and formats again only when the
    content changed, so the text is always the one mmengine would give.

    Example:
        >>> cfg = FormattedOnceConfig.of(Config(dict(a=1)))
        >>> cfg.pretty_text == Config(dict(a=1)).pretty_text
        True
        >>> cfg.a = 2
        >>> 'a = 2' in cfg.pretty_text
        True
    """

    @classmethod
    def of(cls, cfg: Config) -> 'FormattedOnceConfig':
        """The same config (its state shared, not copied) as this class."""
        formatted_once = cls.__new__(cls)
        for key, value in cfg.__dict__.items():
            object.__setattr__(formatted_once, key, value)
        return formatted_once

    @property
    def pretty_text(self) -> str:
        content = repr(self._cfg_dict.to_dict())
        cached = self.__dict__.get('_formatted')
        if cached is None or cached[0] != content:
            cached = (content, super().pretty_text)
            object.__setattr__(self, '_formatted', cached)
        return cached[1]
