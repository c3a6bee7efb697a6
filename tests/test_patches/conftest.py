# Copyright (c) hsjp-mmpose contributors.
"""Fixtures of the patch tests."""
import socket

import pytest


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No host name resolves (as on a machine without network) and torch's hub cache is
    empty. Only name resolution is replaced; mmengine's and torch's download code runs."""

    def no_network(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')

    monkeypatch.setattr(socket, 'getaddrinfo', no_network)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
