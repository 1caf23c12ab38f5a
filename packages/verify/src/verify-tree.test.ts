import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeModule, verifyTree, type Problem } from './index.js';

/**
 * A correct tree: an environment calling a local module (which renders a
 * template) and a git module. Every mutation below breaks one thing.
 */
const TREE: Readonly<Record<string, string>> = {
  'modules/web/main.tf': `# A comment with "\${var.not_checked}" is not code.
resource "incus_profile" "web" {
  name = "\${var.name}-profile"

  config = {
    "limits.cpu" = var.cpu
    "cloud-init.user-data" = templatefile("\${path.module}/templates/cloud-init.yaml.tftpl", {
      hostname = var.name
      packages = var.packages
    })
  }

  dynamic "device" {
    for_each = var.disks
    iterator = disk

    content {
      name = disk.key
      type = "disk"
      properties = {
        pool   = disk.value.pool
        source = disk.value.volume
        path   = "/srv/\${disk.key}"
      }
    }
  }
}

resource "incus_instance" "web" {
  count = var.instances

  name     = "\${var.name}-\${count.index}"
  image    = "images:debian/12"
  profiles = [incus_profile.web.name]
}

data "incus_profile" "default" {
  name = "default"
}

locals {
  names = [for instance in incus_instance.web : instance.name]
  motd  = <<-EOT
    Welcome to \${var.name}: "\${var.name}" is quoted here.
    EOT
}
`,
  'modules/web/outputs.tf': `output "names" {
  description = "Instance names."
  value       = local.names
}

output "profile" {
  description = "Profile name."
  value       = incus_profile.web.name
}

output "default_profile" {
  description = "The default profile's name."
  value       = data.incus_profile.default.name
}
`,
  'modules/web/variables.tf': `variable "name" {
  description = "Instance name prefix."
  type        = string
}

variable "cpu" {
  description = "CPU limit."
  type        = number
  default     = 1
}

variable "packages" {
  description = "Packages cloud-init installs."
  type        = list(string)
  default     = []
}

variable "instances" {
  description = "How many instances."
  type        = number
  default     = 1
}

variable "disks" {
  description = "Data disks by name."
  type = map(object({
    pool   = string
    volume = string
  }))
  default = {}
}

variable "admin_password" {
  description = "Administrator password."
  type        = string
  sensitive   = true
}
`,
  'modules/web/versions.tf': `terraform {
  required_version = ">= 1.6"

  required_providers {
    incus = {
      source  = "lxc/incus"
      version = ">= 0.1.0"
    }
  }
}
`,
  'modules/web/templates/cloud-init.yaml.tftpl': `#cloud-config
hostname: \${hostname}
packages:
%{ for package in packages ~}
  - \${package}
%{ endfor ~}
runcmd:
  - echo "$\${HOME}" and %%{ not a directive }
`,
  'environments/dev/main.tf': `module "web" {
  source = "../../modules/web"

  name           = "web"
  admin_password = var.admin_password
  packages       = local.packages
}

module "shared" {
  source = "git::https://example.com/modules.git//shared?ref=v1.0.0"

  anything = "is not checked"
}

locals {
  packages = ["nginx", "curl"]
}
`,
  'environments/dev/outputs.tf': `output "web_names" {
  description = "Web instance names."
  value       = module.web.names
}
`,
  'environments/dev/terraform.tfvars.example': `admin_password = "change-me"
`,
  'environments/dev/variables.tf': `variable "admin_password" {
  description = "Administrator password."
  type        = string
  sensitive   = true
}
`,
  'environments/dev/versions.tf': `terraform {
  required_providers {
    incus = {
      source  = "lxc/incus"
      version = ">= 0.1.0"
    }
  }
}

provider "incus" {}
`,
};

const tempDirs: string[] = [];
afterAll(() => Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function writeTree(files: Readonly<Record<string, string>>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'atlas-verify-'));
  tempDirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** TREE with `from` replaced by `to` in `file` (which must contain `from`). */
function mutate(file: string, from: string, to: string): Record<string, string> {
  const content = TREE[file] ?? '';
  if (!content.includes(from)) throw new Error(`${file} does not contain ${from}`);
  return { ...TREE, [file]: content.replace(from, to) };
}

const MODULE_MAIN = 'modules/web/main.tf';
const MODULE_OUTPUTS = 'modules/web/outputs.tf';
const ENV_MAIN = 'environments/dev/main.tf';
const ENV_OUTPUTS = 'environments/dev/outputs.tf';

interface Mutation {
  readonly name: string;
  readonly file: string;
  readonly from: string;
  readonly to: string;
  /** The one problem expected; `message` is a part of the message. */
  readonly expected: Problem;
}

const MUTATIONS: readonly Mutation[] = [
  {
    name: 'bad syntax',
    file: MODULE_MAIN,
    from: 'profiles = [incus_profile.web.name]',
    to: 'profiles = [incus_profile.web.name',
    expected: { file: MODULE_MAIN, line: 35, check: 'parse', message: 'Missing item separator' },
  },
  {
    name: 'misformatted spacing',
    file: MODULE_MAIN,
    from: '  image    = "images:debian/12"',
    to: '  image = "images:debian/12"',
    expected: { file: MODULE_MAIN, line: 33, check: 'fmt', message: 'line 33 differs' },
  },
  {
    name: 'an interpolation-only string',
    file: MODULE_MAIN,
    from: 'name = "${var.name}-profile"',
    to: 'name = "${var.name}"',
    expected: { file: MODULE_MAIN, line: 3, check: 'interpolation', message: 'name = "${…}"' },
  },
  {
    name: 'a dangling variable reference',
    file: MODULE_MAIN,
    from: '"limits.cpu" = var.cpu',
    to: '"limits.cpu" = var.cpus',
    expected: { file: MODULE_MAIN, line: 6, check: 'reference', message: 'var.cpus: no variable' },
  },
  {
    name: 'a dangling local reference',
    file: MODULE_OUTPUTS,
    from: 'value       = local.names',
    to: 'value       = local.namez',
    expected: { file: MODULE_OUTPUTS, line: 3, check: 'reference', message: 'local.namez' },
  },
  {
    name: 'a dangling module reference',
    file: ENV_OUTPUTS,
    from: 'module.web.names',
    to: 'module.webb.names',
    expected: { file: ENV_OUTPUTS, line: 3, check: 'reference', message: 'no module "webb"' },
  },
  {
    name: 'a dangling resource reference',
    file: MODULE_OUTPUTS,
    from: 'incus_profile.web.name',
    to: 'incus_profile.webb.name',
    expected: {
      file: MODULE_OUTPUTS,
      line: 8,
      check: 'reference',
      message: 'no resource "incus_profile" "webb"',
    },
  },
  {
    name: 'a dangling data source reference',
    file: MODULE_OUTPUTS,
    from: 'data.incus_profile.default.name',
    to: 'data.incus_profile.defaultt.name',
    expected: {
      file: MODULE_OUTPUTS,
      line: 13,
      check: 'reference',
      message: 'no data "incus_profile" "defaultt"',
    },
  },
  {
    name: 'count.index without count',
    file: MODULE_MAIN,
    from: '  name = "default"',
    to: '  name = "default-${count.index}"',
    expected: { file: MODULE_MAIN, line: 38, check: 'reference', message: 'without count' },
  },
  {
    name: 'each.key without for_each',
    file: MODULE_MAIN,
    from: '  name = "default"',
    to: '  name = "default-${each.key}"',
    expected: { file: MODULE_MAIN, line: 38, check: 'reference', message: 'without for_each' },
  },
  {
    name: "a dynamic block's default iterator name where `iterator` renames it",
    file: MODULE_MAIN,
    from: 'path   = "/srv/${disk.key}"',
    to: 'path   = "/srv/${device.key}"',
    expected: { file: MODULE_MAIN, line: 23, check: 'reference', message: 'device.key' },
  },
  {
    name: 'an attribute of a counted resource without an instance key',
    file: MODULE_OUTPUTS,
    from: 'incus_profile.web.name',
    to: 'incus_instance.web.name',
    expected: { file: MODULE_OUTPUTS, line: 8, check: 'reference', message: 'instance key' },
  },
  {
    name: 'a missing required module input',
    file: ENV_MAIN,
    from: '  name           = "web"\n',
    to: '',
    expected: {
      file: ENV_MAIN,
      line: 1,
      check: 'module-call',
      message: 'module "web": required variable "name" of ../../modules/web is not set',
    },
  },
  {
    name: 'an unknown module argument',
    file: ENV_MAIN,
    from: '  packages       = local.packages',
    to: '  packages       = local.packages\n  pacakges       = local.packages',
    expected: {
      file: ENV_MAIN,
      line: 7,
      check: 'module-call',
      message: 'argument "pacakges" is not a variable',
    },
  },
  {
    name: 'a reference to a missing module output',
    file: ENV_OUTPUTS,
    from: 'module.web.names',
    to: 'module.web.nmaes',
    expected: {
      file: ENV_OUTPUTS,
      line: 3,
      check: 'module-call',
      message: 'module.web.nmaes: ../../modules/web has no output "nmaes"',
    },
  },
  {
    name: 'a local module source without .tf files',
    file: ENV_MAIN,
    from: 'source = "../../modules/web"',
    to: 'source = "../../modules/webb"',
    expected: { file: ENV_MAIN, line: 1, check: 'module-call', message: 'has no .tf files' },
  },
  {
    name: 'a missing template file',
    file: MODULE_MAIN,
    from: 'templates/cloud-init.yaml.tftpl',
    to: 'templates/cloud-init.yml.tftpl',
    expected: { file: MODULE_MAIN, line: 7, check: 'template', message: 'does not exist' },
  },
  {
    name: 'a template variable that is not passed',
    file: MODULE_MAIN,
    from: '      packages = var.packages\n',
    to: '',
    expected: {
      file: MODULE_MAIN,
      line: 7,
      check: 'template',
      message: 'uses "packages" (template line 4), which the vars object does not pass',
    },
  },
  {
    name: 'an unknown incus attribute',
    file: MODULE_MAIN,
    from: '  image    = "images:debian/12"',
    to: '  imagee   = "images:debian/12"',
    expected: {
      file: MODULE_MAIN,
      line: 33,
      check: 'schema',
      message: 'incus_instance.web: unknown argument or block "imagee"',
    },
  },
  {
    name: 'bad syntax in terraform.tfvars.example',
    file: 'environments/dev/terraform.tfvars.example',
    from: '"change-me"',
    to: '"change-me',
    expected: {
      file: 'environments/dev/terraform.tfvars.example',
      line: 1,
      check: 'parse',
      message: 'Unterminated template string',
    },
  },
];

describe('verifyTree', () => {
  it('finds nothing wrong in a correct tree', async () => {
    expect(await verifyTree(await writeTree(TREE))).toEqual([]);
  });

  it.each(MUTATIONS)('reports $name', async ({ file, from, to, expected }) => {
    const problems = await verifyTree(await writeTree(mutate(file, from, to)));
    expect(problems).toEqual([{ ...expected, message: expect.stringContaining(expected.message) }]);
  });

  it('flags interpolation-only strings where tofu fmt does: whole attribute values only', async () => {
    const main = [
      'locals {',
      '  nested  = [var.x, "${var.x}"]',
      '  joined  = "${var.x}${var.x}"',
      '  wrapped = "${upper("${var.x}")}"',
      '}',
      '',
      'variable "x" {',
      '  type = string',
      '}',
      '',
    ].join('\n');
    expect(await verifyTree(await writeTree({ 'main.tf': main }))).toEqual([
      { file: 'main.tf', line: 4, check: 'interpolation', message: expect.any(String) },
    ]);
  });

  it("reports tofu fmt's other rewrites: legacy variable types and unquoted labels", async () => {
    const main = 'variable "a" {\n  type = list\n}\n\nvariable b {\n  type = "string"\n}\n';
    expect(await verifyTree(await writeTree({ 'main.tf': main }))).toEqual([
      {
        file: 'main.tf',
        line: 2,
        check: 'fmt',
        message: 'type = list: tofu fmt writes type = list(any)',
      },
      {
        file: 'main.tf',
        line: 5,
        check: 'fmt',
        message: expect.stringContaining('quotes block labels'),
      },
      {
        file: 'main.tf',
        line: 6,
        check: 'fmt',
        message: 'type = "string": tofu fmt writes type = string',
      },
    ]);
  });
});

describe('summarizeModule', () => {
  it("lists a module's variables, outputs, resources and module calls", async () => {
    const root = await writeTree(TREE);
    const web = await summarizeModule(join(root, 'modules/web'));
    expect(web.variables.admin_password).toEqual({ required: true, sensitive: true });
    expect(web.variables.cpu).toEqual({ required: false, sensitive: false });
    expect(web.outputs).toEqual(['default_profile', 'names', 'profile']);
    expect(web.resources).toEqual([
      'incus_instance.web',
      'incus_profile.web',
      'data.incus_profile.default',
    ]);
    const dev = await summarizeModule(join(root, 'environments/dev'));
    expect(dev.modules.web).toEqual({
      source: '../../modules/web',
      args: ['admin_password', 'name', 'packages'],
    });
  });
});
