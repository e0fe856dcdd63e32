#!/usr/bin/env bash
# The install test of the packages (`make package-test`, part of `make test`; as root, on a
# Debian machine without a running systemd, as CI is):
#  1. builds the hub, agent and CLI .debs and .rpms from the debug binaries `make build` made
#     (target/debug, or $CARGO_TARGET_DIR/debug) and web/dist — `make package` stays release;
#  2. installs the hub and agent .debs here and checks the owner and mode of every installed
#     file, the service users, the descriptions, and the units (`systemd-analyze verify`, and
#     `systemd-analyze security --offline` for the hub's sandbox);
#  3. runs the installed hub and agent as their units would (the ExecStart line, as User/Group,
#     with EnvironmentFile and UMask; without systemd, so the units' sandboxing is not applied),
#     creates an admin, enrolls the agent with a token and runs a job through the REST API;
#     upgrades both packages to a newer version in place and checks that the configs and the
#     agent's identity survived and that a job still runs; then `dpkg -r` (data stays) and
#     `dpkg -P` (data gone);
#  4. checks the .rpms by listing them (files, modes, owners, scripts);
#  5. purges what it installed and removes what it created, even on failure.
# It refuses to run when Greenroom is installed here other than by an earlier run of itself.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS
say() { echo "package-test: $*"; }
fail() { echo "package-test: FAILED: $*" >&2; exit 1; }

if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null; then
  say "SKIPPED: needs root on a Debian machine (it installs and purges the packages); CI runs it"
  exit 0
fi
target=${CARGO_TARGET_DIR:-$repo/target}
case "$target" in /*) ;; *) target=$repo/$target ;; esac
bin=$target/debug
for b in greenroom-hub greenroom-agent greenroom; do
  [ -x "$bin/$b" ] || fail "$bin/$b is missing: run \`make build\` first"
done
[ -f web/dist/index.html ] || fail "web/dist is missing: run \`make web\` first"

# --- what is installed before -------------------------------------------------------------
pkgs=(greenroom-hub greenroom-agent)
users=(greenroom greenroom-agent)
state() { dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null || echo "not-installed"; }
for p in "${pkgs[@]}" greenroom-cli; do
  read -r st ver <<<"$(state "$p")"
  case "$st" in
    not-installed) ;;
    *) [[ "${ver:-}" == *pkgtest* ]] || fail "$p $ver is installed here: this test installs and purges it; remove it first"
       say "purging $p $ver left by an earlier run"; dpkg -P "$p" >/dev/null ;;
  esac
done
for d in /etc/greenroom /var/lib/greenroom /var/lib/greenroom-agent /var/log/greenroom; do
  [ ! -e "$d" ] || fail "$d exists while no Greenroom package is installed: move it away first"
done
created_users=()
for u in "${users[@]}"; do getent passwd "$u" >/dev/null || created_users+=("$u"); done

# --- cleanup, on any exit -----------------------------------------------------------------
stage=$(mktemp -d /tmp/greenroom-package-test.XXXXXX)
chmod 0755 "$stage"
pids=()
cleanup() {
  local rc=$?
  set +e
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$rc" != 0 ]; then
    for f in "$stage"/{dpkg-*,enroll,hub,agent}.out /var/log/greenroom/backend.log; do
      [ -f "$f" ] && { echo "--- $f (tail)"; tail -n 30 "$f"; }
    done
  fi
  for p in "${pkgs[@]}"; do
    [ "$(state "$p" | cut -d' ' -f1)" = not-installed ] || dpkg -P "$p" >/dev/null 2>&1
  done
  for u in "${created_users[@]}"; do
    getent passwd "$u" >/dev/null && userdel "$u" 2>/dev/null
    getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
  done
  rm -rf "$stage"
  if [ "$rc" = 0 ]; then say "passed in $((SECONDS - started)) s"; else say "failed (exit $rc) after $((SECONDS - started)) s"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

checks=0
ok() { checks=$((checks + 1)); }
# expect PATH OWNER:GROUP MODE
expect() {
  [ -e "$1" ] || fail "$1 is missing"
  local got
  got=$(stat -c '%U:%G %a' "$1")
  [ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
  ok
}
gone() { [ ! -e "$1" ] || fail "$1 is still there"; ok; }

# --- 1. tools and packages ----------------------------------------------------------------
need_apt=()
command -v rpm >/dev/null || need_apt+=(rpm)
command -v rpm2cpio >/dev/null || need_apt+=(rpm2cpio)
command -v cpio >/dev/null || need_apt+=(cpio)
command -v curl >/dev/null || need_apt+=(curl)
if ((${#need_apt[@]})); then
  say "installing ${need_apt[*]} (apt-get)"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# Versions this test is known to work with; `make package` uses whatever is installed.
command -v cargo-deb >/dev/null || nice -n 19 cargo install --locked cargo-deb --version 3.8.0
command -v cargo-generate-rpm >/dev/null || nice -n 19 cargo install --locked cargo-generate-rpm --version 0.21.1

# The packages' asset paths name target/release/…: a target dir whose release/ holds the
# debug binaries stands in for it.
pt=$stage/target
mkdir -p "$pt/release/completions"
for b in greenroom-hub greenroom-agent greenroom; do cp "$bin/$b" "$pt/release/"; done
"$bin/greenroom" completions bash >"$pt/release/completions/greenroom.bash"
"$bin/greenroom" completions zsh >"$pt/release/completions/_greenroom"
"$bin/greenroom" completions fish >"$pt/release/completions/greenroom.fish"
v1=0.1.0-0pkgtest1
v2=0.1.0-0pkgtest2
say "building the .debs ($v1, and $v2 for the upgrade) and the .rpms"
for p in "${pkgs[@]}" greenroom-cli; do
  CARGO_TARGET_DIR=$pt nice -n 19 cargo deb -q --no-build -p "$p" --fast --deb-version "$v1" -o "$stage/deb1/" >/dev/null
done
# The upgrade: the same package with a newer version (repacked: faster than cargo-deb again).
mkdir -p "$stage/deb2"
for p in "${pkgs[@]}"; do
  rm -rf "$stage/repack"
  dpkg-deb -R "$stage"/deb1/"${p}"_*.deb "$stage/repack"
  sed -i "s/^Version: .*/Version: $v2/" "$stage/repack/DEBIAN/control"
  nice -n 19 dpkg-deb --root-owner-group -Zgzip -z1 -b "$stage/repack" "$stage/deb2/${p}_${v2}_amd64.deb" >/dev/null
done
rm -rf "$stage/repack"
mkdir -p "$stage/rpm"
for d in hub agent cli; do
  CARGO_TARGET_DIR=$pt nice -n 19 cargo generate-rpm -p "$d" --target-dir "$pt" --payload-compress none -o "$stage/rpm/" >/dev/null
done
ls -1 "$stage"/deb1/*.deb "$stage"/deb2/*.deb "$stage"/rpm/*.rpm | sed "s#^$stage/#  #"
say "packages built after $((SECONDS - started)) s"

# --- the .deb metadata --------------------------------------------------------------------
for deb in "$stage"/deb1/*.deb; do
  desc=$(dpkg-deb -f "$deb" Description)
  synopsis=$(head -n 1 <<<"$desc")
  ((${#synopsis} <= 80)) || fail "$(basename "$deb"): the synopsis is ${#synopsis} characters: $synopsis"
  (($(wc -l <<<"$desc") <= 8)) || fail "$(basename "$deb"): the description has $(wc -l <<<"$desc") lines"
  ok
done
cli_list=$(dpkg-deb -c "$stage"/deb1/greenroom-cli_*.deb)
grep -q ' ./usr/bin/greenroom$' <<<"$cli_list" || fail "the CLI .deb has no /usr/bin/greenroom"
grep -q 'bash-completion/completions/greenroom$' <<<"$cli_list" || fail "the CLI .deb has no bash completion"
ok

# --- 2. install ---------------------------------------------------------------------------
say "dpkg -i greenroom-hub greenroom-agent ($v1)"
dpkg -i "$stage"/deb1/greenroom-hub_*.deb "$stage"/deb1/greenroom-agent_*.deb >"$stage/dpkg-install.out" 2>&1 \
  || { cat "$stage/dpkg-install.out"; fail "dpkg -i"; }

for u in "${users[@]}"; do
  entry=$(getent passwd "$u") || fail "user $u does not exist"
  IFS=: read -r _ _ uid gid _ home shell <<<"$entry"
  ((uid < 1000)) || fail "$u is not a system user (uid $uid)"
  [ "$(getent group "$gid" | cut -d: -f1)" = "$u" ] || fail "$u's primary group is not $u"
  [ "$shell" = /usr/sbin/nologin ] || fail "$u's shell is $shell"
  [ "$home" = "/var/lib/$u" ] || fail "$u's home is $home"
  ok
done

# Every file and directory each package installed, and what the post-install scripts made.
check_installed() { # PACKAGE SERVICE-GROUP
  local path
  while read -r path; do
    [ "$path" = /. ] && continue
    [ -L "$path" ] && continue # /lib -> usr/lib
    if [ -d "$path" ]; then expect "$path" root:root 755; continue; fi
    case "$path" in
      /usr/bin/*) expect "$path" root:root 755 ;;
      /etc/greenroom/*.yaml) expect "$path" "root:$2" 640 ;;
      *) expect "$path" root:root 644 ;;
    esac
  done < <(dpkg -L "$1")
}
check_installed greenroom-hub greenroom
check_installed greenroom-agent greenroom-agent
expect /var/lib/greenroom greenroom:greenroom 700
expect /var/log/greenroom greenroom:greenroom 750
expect /var/lib/greenroom-agent greenroom-agent:greenroom-agent 700
for f in /usr/share/greenroom/web/index.html /lib/systemd/system/greenroom-hub.service \
  /lib/systemd/system/greenroom-agent.service /usr/share/doc/greenroom-hub/copyright \
  /usr/share/doc/greenroom-hub/changelog.Debian.gz /usr/share/doc/greenroom-agent/copyright \
  /usr/share/doc/greenroom-agent/changelog.Debian.gz; do
  [ -s "$f" ] || fail "$f is missing or empty"
done
grep -q 'Apache License' /usr/share/doc/greenroom-hub/copyright || fail "the hub's copyright file has no license text"
[ "$(find /usr/share/greenroom/web -type f | wc -l)" = "$(find web/dist -type f | wc -l)" ] \
  || fail "/usr/share/greenroom/web does not hold every file of web/dist"
ok
# The service users can read their configs; the other service user cannot.
runuser -u greenroom -- test -r /etc/greenroom/backend_config.yaml || fail "greenroom cannot read backend_config.yaml"
runuser -u greenroom-agent -- test -r /etc/greenroom/agent_config.yaml || fail "greenroom-agent cannot read agent_config.yaml"
! runuser -u greenroom-agent -- test -r /etc/greenroom/backend_config.yaml || fail "greenroom-agent can read the hub's config"
ok

# The units: `verify` works offline (it loads the unit file and checks the ExecStart binary).
say "systemd-analyze verify and security"
if ! out=$(systemd-analyze verify /lib/systemd/system/greenroom-hub.service /lib/systemd/system/greenroom-agent.service 2>&1) || [ -n "$out" ]; then
  echo "$out"; fail "systemd-analyze verify"
fi
ok
# The hub runs no commands: only what it needs to serve the network stays open (1.1 when
# written; the threshold is exposure x 10).
systemd-analyze security --offline=true --threshold=15 /lib/systemd/system/greenroom-hub.service >"$stage/security-hub.out" 2>&1 \
  || { grep -E '✗|Overall' "$stage/security-hub.out"; fail "the hub's unit is exposed more than 1.5"; }
systemd-analyze security --offline=true --threshold=50 /lib/systemd/system/greenroom-agent.service >"$stage/security-agent.out" 2>&1 \
  || { grep -E '✗|Overall' "$stage/security-agent.out"; fail "the agent's unit is exposed more than 5.0"; }
ok
grep Overall "$stage"/security-*.out | sed 's/^.*→ /  /'

# --- 3. run them --------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
agent_port=$(free_port)
health_port=$(free_port)
api=http://127.0.0.1:$api_port

# The administrator's steps (docs/admin-guide.md §1): secrets in hub.env, the listeners in the
# config. The edited conffile must survive the upgrade.
umask 0077
printf 'JWT_SECRET=%s\n' "package-test-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >/etc/greenroom/hub.env
umask 0022
sed -i -e "s#^\(  listen: \)\"127.0.0.1:8000\"#\1\"127.0.0.1:$api_port\"#" \
  -e "s#^\(  agent_listen: \)\"0.0.0.0:8443\"#\1\"127.0.0.1:$agent_port\"#" /etc/greenroom/backend_config.yaml
grep -q "127.0.0.1:$agent_port" /etc/greenroom/backend_config.yaml || fail "could not set the listeners"

# unit_value UNIT KEY: the unit's last KEY= value.
unit_value() { sed -n "s/^$2=//p" "/lib/systemd/system/$1" | tail -n 1; }
# start UNIT NAME: runs the unit's ExecStart as its User and Group, with its EnvironmentFile,
# Environment and UMask, from /, with nothing else in the environment.
start() {
  local unit=$1 user group exec envfile umask_ env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  user=$(unit_value "$unit" User)
  group=$(unit_value "$unit" Group)
  exec=$(unit_value "$unit" ExecStart)
  umask_=$(unit_value "$unit" UMask)
  envfile=$(unit_value "$unit" EnvironmentFile)
  envfile=${envfile#-}
  if [ -n "$envfile" ] && [ -f "$envfile" ]; then
    while IFS= read -r line; do
      [[ "$line" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] && env+=("$line")
    done <"$envfile"
  fi
  while IFS= read -r line; do env+=("$line"); done < <(unit_value "$unit" Environment)
  # shellcheck disable=SC2086 # ExecStart is split into words, as systemd does
  (cd / && umask "${umask_:-0022}" && exec runuser -u "$user" -g "$group" -- env -i "${env[@]}" $exec) \
    >"$stage/$2.out" 2>&1 &
  pids+=($!)
  eval "${2}_pid=$!"
}
stop() { # NAME
  local pid_var=${1}_pid
  kill -TERM "${!pid_var}"
  wait "${!pid_var}" || true
}
# as USER COMMAND...: an administrator's command as the service user, with the hub's secrets.
as_hub() { (set -a; . /etc/greenroom/hub.env; set +a; cd / && runuser -u greenroom -- env "JWT_SECRET=$JWT_SECRET" "$@"); }

wait_for() { # WHAT PID-NAME COMMAND...: up to 60 s
  local what=$1 pid_var=${2}_pid
  shift 2
  for _ in $(seq 1 300); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "${!pid_var}" 2>/dev/null || fail "$what: the process exited"
    sleep 0.2
  done
  fail "$what: not within 60 s"
}

say "starting the installed hub as greenroom (API $api, agents :$agent_port)"
start greenroom-hub.service hub
wait_for "the hub's API" hub curl -sf "$api/healthz"
# The dashboard comes from the package.
curl -sf "$api/" | cmp -s - /usr/share/greenroom/web/index.html || fail "$api/ is not the packaged dashboard"
ok

password="pkgtest-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
as_hub GREENROOM_PASSWORD="$password" greenroom-hub create-user --config /etc/greenroom/backend_config.yaml \
  --email admin@pkgtest.invalid --role admin >/dev/null
token=$(as_hub greenroom-hub enroll-token --config /etc/greenroom/backend_config.yaml | tail -n 1)
[ -n "$token" ] || fail "enroll-token printed no token"
fingerprint=$(as_hub greenroom-hub ca status --config /etc/greenroom/backend_config.yaml |
  grep -oiE '([0-9a-f]{2}:){31}[0-9a-f]{2}|[0-9a-f]{64}' | head -n 1)
[ -n "$fingerprint" ] || fail "ca status printed no fingerprint"
# Nothing the administrator's commands wrote in the data dir belongs to root.
[ -z "$(find /var/lib/greenroom /var/log/greenroom ! -user greenroom)" ] || fail "root-owned files in the hub's dirs: $(find /var/lib/greenroom /var/log/greenroom ! -user greenroom)"
ok

server_id="pkgtest-$$"
say "greenroom-agent enroll (server $server_id)"
greenroom-agent enroll --hub "https://127.0.0.1:$agent_port" --token "$token" --ca-sha256 "$fingerprint" \
  --server-id "$server_id" --environment staging >"$stage/enroll.out" 2>&1 || { cat "$stage/enroll.out"; fail "enroll"; }
expect /etc/greenroom/agent_config.yaml root:greenroom-agent 640
expect /var/lib/greenroom-agent greenroom-agent:greenroom-agent 700
[ -z "$(find /var/lib/greenroom-agent ! -user greenroom-agent)" ] || fail "files in /var/lib/greenroom-agent not owned by greenroom-agent"
[ -f /etc/greenroom/ca.crt ] || fail "enroll wrote no /etc/greenroom/ca.crt"
# No systemd runs here, so enroll must not try to start the unit and must say what is next.
if [ -d /run/systemd/system ]; then
  grep -q "^started: greenroom-agent.service" "$stage/enroll.out" || fail "enroll did not start the service: $(cat "$stage/enroll.out")"
else
  grep -q "^next: systemctl enable --now greenroom-agent$" "$stage/enroll.out" || fail "enroll did not print the next step: $(cat "$stage/enroll.out")"
fi
ok
# The health port and the jobs' temp directory (the unit's PrivateTmp gives the agent a /tmp of
# its own; here it shares this machine's) are the administrator's to set.
sed -i -e "s#^\(  health_check_port: \).*#\1$health_port#" \
  -e "s#^\(  temp_directory: \).*#\1\"$stage/agent-tmp\"#" /etc/greenroom/agent_config.yaml
install -d -o greenroom-agent -g greenroom-agent -m 0700 "$stage/agent-tmp"

# identity: the SHA-256 of the agent certificate's DER, and of both configs.
identity() {
  local cert=/var/lib/greenroom-agent/agent.crt key=/var/lib/greenroom-agent/agent.key
  [ -s "$cert" ] && [ -s "$key" ] || fail "no agent.crt and agent.key in /var/lib/greenroom-agent"
  echo "cert $(sed -n '1,/END CERTIFICATE/p' "$cert" | sed '/-----/d' | base64 -d | sha256sum | cut -c1-64)"
  echo "key $(stat -c '%U:%G %a' "$key") $(sha256sum <"$key" | cut -c1-64)"
  sha256sum /etc/greenroom/agent_config.yaml /etc/greenroom/backend_config.yaml /etc/greenroom/ca.crt
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }
login() {
  curl -sf -X POST "$api/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"admin@pkgtest.invalid\",\"password\":\"$password\"}" | json 'd["access_token"]'
}
run_job() { # WORD: runs `echo WORD` on the agent through the API and checks its output
  local access id doc st
  access=$(login) || fail "login"
  id=$(curl -sf -X POST "$api/api/v1/executions" -H "Authorization: Bearer $access" -H 'Content-Type: application/json' \
    -d "{\"action\":{\"type\":\"shell_command\",\"command\":\"echo $1\"},\"target_servers\":[\"$server_id\"]}" |
    json 'd["execution_id"]') || fail "POST /api/v1/executions"
  for _ in $(seq 1 300); do
    doc=$(curl -sf "$api/api/v1/executions/$id" -H "Authorization: Bearer $access") || fail "GET /api/v1/executions/$id"
    st=$(json 'd["status"]["overall"]' <<<"$doc")
    case "$st" in completed | failed | cancelled) break ;; esac
    sleep 0.2
  done
  [ "$st" = completed ] || { echo "$doc"; fail "execution $id is $st"; }
  [ "$(json 'd["results"]["success_count"]' <<<"$doc")" = 1 ] || { echo "$doc"; fail "execution $id: no success"; }
  curl -sf "$api/api/v1/executions/$id/logs" -H "Authorization: Bearer $access" | grep "$1" >/dev/null \
    || fail "execution $id: its output has no '$1'"
  ok
  say "job 'echo $1' on $server_id: completed"
}

say "starting the installed agent as greenroom-agent"
start greenroom-agent.service agent
wait_for "the agent's health endpoint" agent curl -sf "http://127.0.0.1:$health_port/health"
run_job hi
[ -s /var/log/greenroom/backend.log ] || fail "the hub wrote no /var/log/greenroom/backend.log"
expect /var/log/greenroom/backend.log greenroom:greenroom 600
stop agent
stop hub
before=$(identity)

# --- upgrade ------------------------------------------------------------------------------
say "upgrading in place to $v2"
dpkg -i "$stage"/deb2/greenroom-hub_*.deb "$stage"/deb2/greenroom-agent_*.deb >"$stage/dpkg-upgrade.out" 2>&1 \
  || { cat "$stage/dpkg-upgrade.out"; fail "dpkg -i (upgrade)"; }
for p in "${pkgs[@]}"; do [ "$(state "$p")" = "installed $v2" ] || fail "$p: $(state "$p") after the upgrade"; done
after=$(identity)
[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "the configs or the agent's identity changed in the upgrade"; }
expect /etc/greenroom/backend_config.yaml root:greenroom 640
expect /etc/greenroom/agent_config.yaml root:greenroom-agent 640
expect /etc/greenroom/hub.env root:root 600
expect /var/lib/greenroom greenroom:greenroom 700
expect /var/lib/greenroom-agent greenroom-agent:greenroom-agent 700
ls /etc/greenroom/*.dpkg-* >/dev/null 2>&1 && fail "dpkg left $(ls /etc/greenroom/*.dpkg-*)"
start greenroom-hub.service hub
wait_for "the hub's API after the upgrade" hub curl -sf "$api/healthz"
start greenroom-agent.service agent
wait_for "the agent's health endpoint after the upgrade" agent curl -sf "http://127.0.0.1:$health_port/health"
run_job upgraded
stop agent
stop hub

# --- remove, then purge -------------------------------------------------------------------
say "dpkg -r: binaries and units go, configuration and data stay"
dpkg -r "${pkgs[@]}" >"$stage/dpkg-remove.out" 2>&1 || { cat "$stage/dpkg-remove.out"; fail "dpkg -r"; }
for f in /usr/bin/greenroom-hub /usr/bin/greenroom-agent /lib/systemd/system/greenroom-hub.service \
  /lib/systemd/system/greenroom-agent.service /usr/share/greenroom; do gone "$f"; done
for f in /etc/greenroom/backend_config.yaml /etc/greenroom/agent_config.yaml /etc/greenroom/hub.env \
  /etc/greenroom/ca.crt /var/lib/greenroom /var/lib/greenroom-agent /var/log/greenroom/backend.log; do
  [ -e "$f" ] || fail "$f is gone after dpkg -r"
done
for p in "${pkgs[@]}"; do [[ "$(state "$p")" == config-files* ]] || fail "$p: $(state "$p") after dpkg -r"; done
[ -n "$(ls -A /var/lib/greenroom-agent)" ] || fail "the agent's identity is gone after dpkg -r"
ok

say "dpkg -P: configuration, data, logs and identity go"
dpkg -P "${pkgs[@]}" >"$stage/dpkg-purge.out" 2>&1 || { cat "$stage/dpkg-purge.out"; fail "dpkg -P"; }
for f in /etc/greenroom /var/lib/greenroom /var/lib/greenroom-agent /var/log/greenroom; do gone "$f"; done
for p in "${pkgs[@]}"; do [ "$(state "$p")" = not-installed ] || fail "$p: $(state "$p") after dpkg -P"; done
# The users stay (Debian's practice: files elsewhere may still be theirs); cleanup removes the
# ones this test created.
for u in "${users[@]}"; do getent passwd "$u" >/dev/null || fail "user $u was removed by purge"; done
ok

# --- 4. the .rpms ---------------------------------------------------------------------------
say "checking the .rpms"
rpm_check() { # RPM NAME SERVICE-GROUP
  local rpmf=$1 listing scripts
  listing=$(rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpmf" 2>/dev/null)
  scripts=$(rpm -qp --scripts "$rpmf" 2>/dev/null)
  grep -qx -- "-rwxr-xr-x root:root  /usr/bin/$2" <<<"$listing" || { echo "$listing"; fail "$2.rpm: /usr/bin/$2"; }
  grep -qx -- "-rw-r--r-- root:root  /usr/lib/systemd/system/$2.service" <<<"$listing" || { echo "$listing"; fail "$2.rpm: the unit"; }
  grep -qE -- "^-rw-r----- root:$3 c?n? ?/etc/greenroom/[a-z_]+config.yaml$" <<<"$listing" \
    || grep -qE -- "^-rw-r----- root:$3 [a-z]+ /etc/greenroom/[a-z_]+config.yaml$" <<<"$listing" \
    || { echo "$listing"; fail "$2.rpm: the config is not root:$3 0640 %config"; }
  grep -qE " /usr/share/licenses/$2/LICENSE$" <<<"$listing" || fail "$2.rpm: no license"
  grep -qE " /usr/share/doc/$2/changelog$" <<<"$listing" || fail "$2.rpm: no changelog"
  grep -q "preinstall scriptlet" <<<"$scripts" && grep -q "useradd --system" <<<"$scripts" \
    || { echo "$scripts"; fail "$2.rpm: no user creation in %pre"; }
  grep -q "postinstall scriptlet" <<<"$scripts" && grep -q "chown root:$3" <<<"$scripts" \
    || { echo "$scripts"; fail "$2.rpm: %post does not set the config's group"; }
  # The payload as rpm2cpio | cpio sees it.
  # (Debian 12's rpm2cpio exits 1 after writing the whole archive: cpio's listing is checked.)
  { rpm2cpio "$rpmf" || true; } | cpio -t --quiet >"$stage/$2.cpio-list" 2>/dev/null
  grep -qx "./usr/bin/$2" "$stage/$2.cpio-list" || fail "$2.rpm: the payload has no /usr/bin/$2"
  ok
}
rpm_check "$(ls "$stage"/rpm/greenroom-hub-*.rpm)" greenroom-hub greenroom
rpm_check "$(ls "$stage"/rpm/greenroom-agent-*.rpm)" greenroom-agent greenroom-agent
# The dashboard: every file of web/dist, 0644, under /usr/share/greenroom/web.
(cd web/dist && find . -type f | sed 's#^\./#./usr/share/greenroom/web/#' | sort) >"$stage/dist-list"
grep '^./usr/share/greenroom/web/' "$stage/greenroom-hub.cpio-list" | sort | comm -23 "$stage/dist-list" - >"$stage/dist-missing"
[ ! -s "$stage/dist-missing" ] || { head "$stage/dist-missing"; fail "the hub .rpm lacks dashboard files"; }
rpm -qp --qf '[%{FILEMODES:perms} %{FILENAMES}\n]' "$(ls "$stage"/rpm/greenroom-hub-*.rpm)" 2>/dev/null |
  grep ' /usr/share/greenroom/web/' | grep -v '^-rw-r--r-- \|^d' && fail "dashboard files in the .rpm that are not 0644"
rpm -qp --qf '[%{FILENAMES}\n]' "$(ls "$stage"/rpm/greenroom-cli-*.rpm)" 2>/dev/null | grep -x /usr/bin/greenroom >/dev/null \
  || fail "the CLI .rpm has no /usr/bin/greenroom"
ok

say "$checks checks passed"
