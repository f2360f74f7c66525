"""Deployment files validated offline (no Docker engine runs here)."""
import os
import shutil
import subprocess

from conftest import ROOT


def test_compose_file_is_valid(tmp_path):
    assert shutil.which("docker-compose"), "docker-compose missing: run scripts/bootstrap.sh"
    env = tmp_path / ".env"
    text = (ROOT / ".env.example").read_text()
    env.write_text(text.replace("JWT_SECRET=\n", "JWT_SECRET=" + "x" * 48 + "\n")
                       .replace("SOURCE_SECURITY_KEY=\n", "SOURCE_SECURITY_KEY=" + "y" * 44 + "\n"))
    r = subprocess.run(["docker-compose", "--env-file", str(env), "-f",
                        str(ROOT / "docker-compose.yml"), "config"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for svc in ("postgres", "auth", "source-discovery", "stream-proxy", "torrent-worker",
                "gateway"):
        assert "  %s:" % svc in r.stdout


def test_compose_refuses_missing_secrets(tmp_path):
    env = tmp_path / ".env"
    env.write_text((ROOT / ".env.example").read_text())
    r = subprocess.run(["docker-compose", "--env-file", str(env), "-f",
                        str(ROOT / "docker-compose.yml"), "config", "-q"],
                       capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in os.environ.items()
                            if k not in ("JWT_SECRET", "SOURCE_SECURITY_KEY")})
    assert r.returncode != 0 and "JWT_SECRET" in r.stderr + r.stdout
