/* demo_catalog.c — the demo service catalogue: every service content item of clause 8 of
 * DB4401/T 294.1—2024 (8.1.1–8.3.4), grouped by area and clause. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/demo.h"
#include "modules/catalog/catalog.h"

typedef struct node {
  const char *code, *parent, *level, *name, *clause, *mode, *prio, *classes;
  int approval;
} node;

#define AREA(code, name, clause) {code, NULL, "area", name, clause, NULL, NULL, NULL, 0}
#define GROUP(code, parent, name, clause) {code, parent, "group", name, clause, NULL, NULL, NULL, 0}
#define ITEM(code, parent, name, clause, mode, prio, classes, appr) \
  {code, parent, "item", name, clause, mode, prio, classes, appr}

#define BASE "office_equipment,server,storage,network,machine_room,camera,wireless_ap,conference"
#define CLOUD "cloud_compute,cloud_storage,cloud_network,cloud_platform,cloud_security"
#define EXT "ext_network,ext_application,ext_data,ext_security_facility"

static const node nodes[] = {
    AREA("A1", "信息基础设施运维", "8.1"),
    GROUP("A1.1", "A1", "调研评估", "8.1.1"),
    ITEM("A1.1.1", "A1.1", "运行状况调研评估", "8.1.1", "on_site", "P4", BASE, 1),
    GROUP("A1.2", "A1", "例行操作", "8.1.2"),
    ITEM("A1.2.1", "A1.2", "日常检查和保养", "8.1.2", "on_site", "P4", BASE, 0),
    ITEM("A1.2.2", "A1.2", "巡检和监控", "8.1.2", "on_site", "P3", BASE, 0),
    ITEM("A1.2.3", "A1.2", "文档整理", "8.1.2", "remote", "P4", BASE, 0),
    ITEM("A1.2.4", "A1.2", "设备台账管理", "8.1.2", "on_site", "P4", BASE, 0),
    ITEM("A1.2.5", "A1.2", "应急预案制定和演练", "8.1.2", "on_site", "P3", BASE, 1),
    GROUP("A1.3", "A1", "响应支持", "8.1.3"),
    ITEM("A1.3.1", "A1.3", "热线支持", "8.1.3", "remote", "P3", BASE, 0),
    ITEM("A1.3.2", "A1.3", "应急响应", "8.1.3", "on_site", "P1", BASE, 0),
    ITEM("A1.3.3", "A1.3", "设备安装部署", "8.1.3", "on_site", "P3", BASE, 1),
    ITEM("A1.3.4", "A1.3", "设备故障处理和维修", "8.1.3", "on_site", "P2", BASE, 0),
    ITEM("A1.3.5", "A1.3", "软件安装与故障处理", "8.1.3", "remote", "P3", "office_equipment,server", 0),
    ITEM("A1.3.6", "A1.3", "网络布线", "8.1.3", "on_site", "P3", "network,machine_room", 1),
    ITEM("A1.3.7", "A1.3", "数据备份", "8.1.3", "remote", "P3", "server,storage", 0),
    ITEM("A1.3.8", "A1.3", "会议保障", "8.1.3", "duty", "P2", "conference,network", 1),
    ITEM("A1.3.9", "A1.3", "网络安全协同", "8.1.3", "backup_support", "P2", "network,server", 0),
    ITEM("A1.3.10", "A1.3", "临时备品备件", "8.1.3", "on_site", "P3", BASE, 1),
    ITEM("A1.3.11", "A1.3", "低值易耗品", "8.1.3", "on_site", "P4", "office_equipment", 1),
    GROUP("A1.4", "A1", "优化改善", "8.1.4"),
    ITEM("A1.4.1", "A1.4", "性能检测及调优", "8.1.4", "backup_support", "P3", "server,storage,network", 1),
    ITEM("A1.4.2", "A1.4", "网络优化", "8.1.4", "backup_support", "P3", "network,wireless_ap", 1),
    ITEM("A1.4.3", "A1.4", "运维培训", "8.1.4", "on_site", "P4", BASE, 1),

    AREA("A2", "政务云运维", "8.2"),
    GROUP("A2.1", "A2", "日常保障", "8.2.1"),
    ITEM("A2.1.1", "A2.1", "数据对接", "8.2.1", "remote", "P3", CLOUD, 0),
    ITEM("A2.1.2", "A2.1", "云资源信息校核", "8.2.1", "remote", "P4", CLOUD, 0),
    ITEM("A2.1.3", "A2.1", "云平台巡检和监控", "8.2.1", "remote", "P3", CLOUD, 0),
    ITEM("A2.1.4", "A2.1", "运营可视化", "8.2.1", "remote", "P4", CLOUD, 0),
    GROUP("A2.2", "A2", "响应支持", "8.2.2"),
    ITEM("A2.2.1", "A2.2", "服务台响应", "8.2.2", "remote", "P3", CLOUD, 0),
    ITEM("A2.2.2", "A2.2", "工单响应", "8.2.2", "remote", "P2", CLOUD, 0),
    ITEM("A2.2.3", "A2.2", "重要保障", "8.2.2", "duty", "P1", CLOUD, 1),
    GROUP("A2.3", "A2", "安全应急", "8.2.3"),
    ITEM("A2.3.1", "A2.3", "云安全管理", "8.2.3", "backup_support", "P2", "cloud_security", 0),
    ITEM("A2.3.2", "A2.3", "云应急管理", "8.2.3", "backup_support", "P1", CLOUD, 0),
    GROUP("A2.4", "A2", "优化改善", "8.2.4"),
    ITEM("A2.4.1", "A2.4", "服务需求调研分析", "8.2.4", "remote", "P4", CLOUD, 1),
    ITEM("A2.4.2", "A2.4", "云资源统计分析", "8.2.4", "remote", "P4", CLOUD, 0),
    ITEM("A2.4.3", "A2.4", "云资源效益分析", "8.2.4", "remote", "P4", CLOUD, 0),
    ITEM("A2.4.4", "A2.4", "分析处理", "8.2.4", "remote", "P3", CLOUD, 0),
    GROUP("A2.5", "A2", "其它服务", "8.2.5"),
    ITEM("A2.5.1", "A2.5", "管理规范", "8.2.5", "remote", "P4", CLOUD, 0),
    ITEM("A2.5.2", "A2.5", "服务报告", "8.2.5", "remote", "P4", CLOUD, 0),
    ITEM("A2.5.3", "A2.5", "云服务培训", "8.2.5", "on_site", "P4", CLOUD, 1),

    AREA("A3", "外网安全运维", "8.3"),
    GROUP("A3.1", "A3", "安全防护", "8.3.1"),
    ITEM("A3.1.1", "A3.1", "边界安全", "8.3.1", "backup_support", "P2", "ext_network,ext_security_facility", 0),
    ITEM("A3.1.2", "A3.1", "WEB安全", "8.3.1", "backup_support", "P2", "ext_application", 0),
    ITEM("A3.1.3", "A3.1", "主机安全", "8.3.1", "backup_support", "P2", "ext_network", 0),
    ITEM("A3.1.4", "A3.1", "终端安全", "8.3.1", "on_site", "P3", "ext_network", 0),
    ITEM("A3.1.5", "A3.1", "日志及审计", "8.3.1", "remote", "P3", EXT, 0),
    ITEM("A3.1.6", "A3.1", "蜜罐", "8.3.1", "backup_support", "P3", "ext_security_facility", 0),
    ITEM("A3.1.7", "A3.1", "高级威胁分析", "8.3.1", "backup_support", "P2", EXT, 0),
    ITEM("A3.1.8", "A3.1", "访问控制", "8.3.1", "remote", "P3", "ext_network,ext_application", 0),
    ITEM("A3.1.9", "A3.1", "态势感知", "8.3.1", "duty", "P2", EXT, 0),
    GROUP("A3.2", "A3", "咨询评估", "8.3.2"),
    ITEM("A3.2.1", "A3.2", "安全咨询", "8.3.2", "remote", "P4", EXT, 1),
    ITEM("A3.2.2", "A3.2", "安全评估", "8.3.2", "backup_support", "P3", EXT, 1),
    ITEM("A3.2.3", "A3.2", "应用检测", "8.3.2", "backup_support", "P3", "ext_application", 1),
    ITEM("A3.2.4", "A3.2", "漏洞扫描", "8.3.2", "remote", "P3", EXT, 1),
    ITEM("A3.2.5", "A3.2", "渗透测试", "8.3.2", "backup_support", "P3", "ext_application,ext_network", 1),
    GROUP("A3.3", "A3", "优化改善", "8.3.3"),
    ITEM("A3.3.1", "A3.3", "安全资产管理", "8.3.3", "remote", "P4", EXT, 0),
    ITEM("A3.3.2", "A3.3", "漏洞管理", "8.3.3", "remote", "P2", EXT, 0),
    ITEM("A3.3.3", "A3.3", "策略管理", "8.3.3", "remote", "P3", "ext_security_facility", 1),
    ITEM("A3.3.4", "A3.3", "安全监测", "8.3.3", "duty", "P2", EXT, 0),
    ITEM("A3.3.5", "A3.3", "安全通告", "8.3.3", "remote", "P3", EXT, 0),
    ITEM("A3.3.6", "A3.3", "安全培训", "8.3.3", "on_site", "P4", EXT, 1),
    GROUP("A3.4", "A3", "应急管理", "8.3.4"),
    ITEM("A3.4.1", "A3.4", "安全应急响应", "8.3.4", "backup_support", "P1", EXT, 0),
    ITEM("A3.4.2", "A3.4", "安全应急演练", "8.3.4", "on_site", "P3", EXT, 1),
};
#define NNODES (sizeof nodes / sizeof nodes[0])

int demo_load_catalog(store_conn *c, err *e) {
  int64_t ids[NNODES];
  for (size_t i = 0; i < NNODES; i++) {
    const node *n = &nodes[i];
    json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "level", n->level, "code", n->code, "name", n->name, "clause",
                          n->clause);
    if (n->parent)
      for (size_t j = 0; j < i; j++)
        if (strcmp(nodes[j].code, n->parent) == 0) json_object_set_new(b, "parent_id", json_integer(ids[j]));
    if (n->mode) {
      json_object_set_new(b, "service_mode", json_string(n->mode));
      json_object_set_new(b, "default_priority", json_string(n->prio));
      json_object_set_new(b, "needs_approval", json_boolean(n->approval));
      json_t *arr = json_array();
      const char *p = n->classes;
      while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        json_array_append_new(arr, json_stringn(p, len));
        p += len + (comma ? 1 : 0);
      }
      json_object_set_new(b, "object_classes", arr);
    }
    int rc = catalog_insert(c, b, &ids[i], e);
    json_decref(b);
    if (rc != 0) return -1;
    json_t *rec = NULL;
    if (res_get(c, &catalog_desc, ids[i], &rec, e) != 0) return -1;
    catalog_decorate(rec);
    rc = cli_audit(c, "create", "catalog", ids[i], NULL, rec, e);
    json_decref(rec);
    if (rc != 0) return -1;
  }
  return (int)NNODES;
}
