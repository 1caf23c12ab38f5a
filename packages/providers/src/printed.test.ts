import { get, printFile, ref } from '@atlas/hcl';
import { parse } from '@cdktn/hcl2json';
import { expect, it } from 'vitest';
import { checkAgainstSchema, dataSource, dynamic, resource } from './index.js';

const base = dataSource('incus_profile', 'default', { name: 'default' });
const web = resource('incus_profile', 'web', {
  name: 'web',
  config: { 'limits.cpu': ref('var.cpu_limit'), 'limits.memory': '2GiB' },
  device: [
    { name: 'root', type: 'disk', properties: { pool: 'default', path: '/' } },
    dynamic(ref('var.disks'), (disk) => ({
      name: disk.key,
      type: 'disk',
      properties: { pool: get(disk.value, 'pool'), source: get(disk.value, 'volume') },
    })),
  ],
});
const app = resource(
  'incus_instance',
  'app',
  {
    name: ref('each.key'),
    image: 'images:debian/12',
    profiles: [base.attr('name'), web.attr('name')],
    wait_for: [{ type: 'ipv4' }],
  },
  {
    for_each: ['app1', 'app2'],
    depends_on: [web],
    lifecycle: { create_before_destroy: true, ignore_changes: ['image'] },
  },
);
const text = printFile({ body: [base.block, web.block, app.block] });

it('prints as conventional HCL', () => {
  expect(text).toBe(`data "incus_profile" "default" {
  name = "default"
}

resource "incus_profile" "web" {
  name   = "web"
  config = { "limits.cpu" = var.cpu_limit, "limits.memory" = "2GiB" }

  device {
    name       = "root"
    type       = "disk"
    properties = { pool = "default", path = "/" }
  }

  dynamic "device" {
    for_each = var.disks

    content {
      name       = device.key
      type       = "disk"
      properties = { pool = device.value.pool, source = device.value.volume }
    }
  }
}

resource "incus_instance" "app" {
  for_each = toset(["app1", "app2"])

  name     = each.key
  image    = "images:debian/12"
  profiles = [data.incus_profile.default.name, incus_profile.web.name]

  wait_for {
    type = "ipv4"
  }

  depends_on = [incus_profile.web]

  lifecycle {
    create_before_destroy = true
    ignore_changes        = [image]
  }
}
`);
});

it('passes the schema check', async () => {
  expect(checkAgainstSchema(await parse('main.tf', text))).toEqual([]);
});
