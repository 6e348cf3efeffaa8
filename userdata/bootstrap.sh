#!/bin/bash
# instance-lifecycle default bootstrap, run once by cloud-init at first boot.
# 1. Make sure the SSM agent is installed, enabled and running: every later step of the create
#    workflow (hostname, reboot check) goes through SSM Run Command, never SSH.
# 2. Optionally create an admin user that logs in with the SSH public key given in the execution
#    input (adminUser / sshPublicKey), for those who still want SSH.
# The two values below are filled in by the LaunchInstance step after validation; both are empty
# unless the input set them.
set -euo pipefail

ADMIN_USER='__ADMIN_USER__'
SSH_PUBLIC_KEY='__SSH_PUBLIC_KEY__'

log() { echo "instance-lifecycle bootstrap: $*"; }

imds_region() {
  local token
  token=$(curl -sS -X PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
  curl -sS -H "X-aws-ec2-metadata-token: ${token}" http://169.254.169.254/latest/meta-data/placement/region
}

ensure_ssm_agent() {
  if systemctl list-unit-files amazon-ssm-agent.service 2>/dev/null | grep -q amazon-ssm-agent; then
    log "SSM agent (package) present"
    systemctl enable --now amazon-ssm-agent
  elif command -v snap >/dev/null 2>&1; then
    # Ubuntu ships the agent as a snap; install it where an image left it out.
    snap list amazon-ssm-agent >/dev/null 2>&1 || snap install amazon-ssm-agent --classic
    log "SSM agent (snap) present"
    snap start --enable amazon-ssm-agent
  elif command -v dnf >/dev/null 2>&1; then
    dnf install -y amazon-ssm-agent
    systemctl enable --now amazon-ssm-agent
  elif command -v apt-get >/dev/null 2>&1; then
    local region arch
    region=$(imds_region)
    arch=$(dpkg --print-architecture)
    curl -sS -o /tmp/amazon-ssm-agent.deb \
      "https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_${arch}/amazon-ssm-agent.deb"
    dpkg -i /tmp/amazon-ssm-agent.deb
    systemctl enable --now amazon-ssm-agent
  else
    log "no way to install the SSM agent on this image" >&2
    exit 1
  fi
}

create_admin_user() {
  [ -n "${ADMIN_USER}" ] || return 0
  id "${ADMIN_USER}" >/dev/null 2>&1 || useradd --create-home --shell /bin/bash "${ADMIN_USER}"
  install -d -m 700 -o "${ADMIN_USER}" -g "${ADMIN_USER}" "/home/${ADMIN_USER}/.ssh"
  printf '%s\n' "${SSH_PUBLIC_KEY}" > "/home/${ADMIN_USER}/.ssh/authorized_keys"
  chown "${ADMIN_USER}:${ADMIN_USER}" "/home/${ADMIN_USER}/.ssh/authorized_keys"
  chmod 600 "/home/${ADMIN_USER}/.ssh/authorized_keys"
  printf '%s ALL=(ALL) NOPASSWD:ALL\n' "${ADMIN_USER}" > "/etc/sudoers.d/90-instance-lifecycle-${ADMIN_USER}"
  chmod 440 "/etc/sudoers.d/90-instance-lifecycle-${ADMIN_USER}"
  log "admin user ${ADMIN_USER} created"
}

ensure_ssm_agent
create_admin_user
log "done"
