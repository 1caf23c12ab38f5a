import type { Environment } from '@atlas/core';
import Handlebars from 'handlebars';

/**
 * The community.general release that added the `community.general.incus`
 * connection plugin the inventory selects (Debian 12's ansible ships 6.x).
 */
export const INCUS_CONNECTION_COLLECTION = { name: 'community.general', version: '8.2.0' } as const;

/*
 * The Ansible host needs only Python 3 and tofu (or terraform): the script
 * reads the environment's outputs itself, with the same rules as
 * `atlas inventory` (src/inventory.ts), and uses nothing outside the standard
 * library.
 */
const INVENTORY_PY = Handlebars.compile(
  `#!/usr/bin/env python3
"""Ansible dynamic inventory for {{env}}, read from this root module's outputs.

Each <group>_instances output is a group of Incus instances, <group>_ansible_vars
gives each host's variables, and every host connects through the Incus remote in
incus_remote with community.general.incus (>= {{collectionVersion}}), so no SSH.

  ansible-inventory -i generated/environments/{{env}}/ansible/inventory.py --list

Runs \`tofu -chdir=<environment> output -json\`; ATLAS_TOFU names another
program (e.g. terraform), ATLAS_TOFU_CHDIR another environment folder.
"""
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def fail(message):
    print("inventory.py: " + message, file=sys.stderr)
    sys.exit(2)


def tofu_outputs():
    program = os.environ.get("ATLAS_TOFU") or shutil.which("tofu") or shutil.which("terraform")
    if not program:
        fail("needs tofu or terraform on PATH (or ATLAS_TOFU naming one)")
    chdir = os.environ.get("ATLAS_TOFU_CHDIR") or os.path.dirname(HERE)
    try:
        run = subprocess.run(
            [program, "-chdir=" + chdir, "output", "-json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        fail("could not run {}: {}".format(program, error))
    if run.returncode != 0:
        fail("{} output -json failed:\\n{}".format(program, run.stderr.strip()))
    try:
        outputs = json.loads(run.stdout or "{}")
    except ValueError as error:
        fail("tofu output -json: not JSON ({})".format(error))
    if not isinstance(outputs, dict):
        fail("tofu output -json: expected an object of outputs")
    return outputs


def value(outputs, name, default):
    entry = outputs.get(name)
    if entry is None:
        return default
    if not isinstance(entry, dict) or "value" not in entry:
        fail("tofu output -json.{}: expected an object with a value".format(name))
    return default if entry["value"] is None else entry["value"]


def inventory(outputs):
    remote = value(outputs, "incus_remote", None)
    groups = {}
    hostvars = {}
    for name in sorted(outputs):
        if not name.endswith("_instances") or name == "_instances":
            continue
        group = name[: -len("_instances")]
        hosts = value(outputs, name, [])
        if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
            fail("tofu output -json.{}.value: expected a list of instance names".format(name))
        by_host = value(outputs, group + "_ansible_vars", {})
        if not isinstance(by_host, dict) or not all(isinstance(v, dict) for v in by_host.values()):
            fail("tofu output -json.{}_ansible_vars.value: expected an object of objects by host".format(group))
        groups[group] = {"hosts": hosts, "vars": {}}
        for host in hosts:
            hostvars[host] = {
                "ansible_connection": "community.general.incus",
                "ansible_incus_remote": remote if isinstance(remote, str) else "local",
                "ansible_python_interpreter": "/usr/bin/python3",
            }
            hostvars[host].update(by_host.get(host, {}))
    result = {
        "_meta": {"hostvars": hostvars},
        "all": {"children": ["ungrouped"] + list(groups)},
        "ungrouped": {"hosts": []},
    }
    result.update(groups)
    return result


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        json.dump(inventory(tofu_outputs()), sys.stdout, indent=2, sort_keys=True)
        print()
    elif len(argv) == 3 and argv[1] == "--host":
        print("{}")  # every host's variables are in _meta.hostvars
    else:
        print("usage: {} --list | --host NAME".format(argv[0]), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
`,
  { noEscape: true, strict: true },
);

const ANSIBLE_CFG = Handlebars.compile(
  `# Run ansible-playbook and ansible-inventory from this folder: the inventory is
# {{env}}'s OpenTofu outputs, and hosts are reached through Incus, not SSH.
[defaults]
inventory = inventory.py
interpreter_python = /usr/bin/python3
gathering = smart
fact_caching = jsonfile
fact_caching_connection = .ansible_cache
fact_caching_timeout = 86400
`,
  { noEscape: true, strict: true },
);

const { name: collection, version: collectionVersion } = INCUS_CONNECTION_COLLECTION;

/**
 * An environment's ansible/ folder: inventory.py, ansible.cfg pointing at it,
 * and requirements.yml naming the collection that provides the Incus
 * connection.
 */
export function ansibleFiles(env: Environment): ReadonlyMap<string, string> {
  return new Map([
    ['inventory.py', INVENTORY_PY({ env: env.name, collectionVersion })],
    ['ansible.cfg', ANSIBLE_CFG({ env: env.name })],
    [
      'requirements.yml',
      `# ansible-galaxy collection install -r requirements.yml\ncollections:\n  - name: ${collection}\n    version: ">=${collectionVersion}"\n`,
    ],
  ]);
}
