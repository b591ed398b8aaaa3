import { describe, expect, it } from "vitest";
import { dashboardMetrics, dashboardQueries, metricNames, PromqlError } from "./promql-metrics.js";

describe("metricNames: the metric names a PromQL expression queries", () => {
  it("finds plain selectors, with or without matchers, each once and sorted", () => {
    expect(metricNames("up")).toEqual(["up"]);
    expect(metricNames('b_total{job="x"} + a_total{job="x"} + b_total')).toEqual(["a_total", "b_total"]);
    expect(metricNames("job:bgpmesh_reconciles:rate5m")).toEqual(["job:bgpmesh_reconciles:rate5m"]);
  });

  it("skips function and aggregation names, and the label lists of by / without, before or after", () => {
    expect(metricNames('histogram_quantile(0.99, sum by (node, le) (rate(bgpmesh_reconcile_seconds_bucket{node=~"$node"}[5m])))')).toEqual([
      "bgpmesh_reconcile_seconds_bucket",
    ]);
    expect(metricNames("sum(rate(x_total[5m])) by (node, state)")).toEqual(["x_total"]);
    expect(metricNames("sum without (instance, job) (x)")).toEqual(["x"]);
    expect(metricNames("count by (node, state) (count by (node, state, name) (bird_protocol_up))")).toEqual(["bird_protocol_up"]);
    expect(metricNames('topk(3, x) or absent(y{job="z"}) or vector(1) or time()')).toEqual(["x", "y"]);
    expect(metricNames('count_values("state", x)')).toEqual(["x"]);
  });

  it("skips keywords: bool, set operators, vector matching with its label lists, offset and @", () => {
    expect(metricNames("sum by (node) (max by (node, name) (bird_protocol_up) == bool 0)")).toEqual(["bird_protocol_up"]);
    expect(metricNames("a > bool on (node) b")).toEqual(["a", "b"]);
    expect(metricNames("a * on (node) group_left (state, name) b")).toEqual(["a", "b"]);
    expect(metricNames("a / ignoring (result) group_right c")).toEqual(["a", "c"]);
    expect(metricNames("a + on () group_left d")).toEqual(["a", "d"]);
    expect(metricNames("a and b or c unless d")).toEqual(["a", "b", "c", "d"]);
    expect(metricNames("a AND ON (node) b")).toEqual(["a", "b"]);
    expect(metricNames("rate(a[5m] offset 1h30m) - rate(a[5m] offset -5m)")).toEqual(["a"]);
    expect(metricNames("a @ start() - a @ end() + a @ 1609746000")).toEqual(["a"]);
    expect(metricNames("atan2(a, b) + a atan2 b")).toEqual(["a", "b"]);
  });

  it("skips label names and values inside matchers, whatever they hold", () => {
    expect(metricNames('x{node=~"$node", name!~"peer_.*", job="a,b{c}"}')).toEqual(["x"]);
    expect(metricNames(`x{a='it\\'s', b="say \\"y{z}\\"", c=\`raw\\\`}`)).toEqual(["x"]);
    expect(metricNames('{job="etcd", node="n1"}')).toEqual([]);
  });

  it("reads a metric named by a __name__ matcher, and refuses a regex one it could not list", () => {
    expect(metricNames('{__name__="etcd_server_has_leader", job="etcd"}')).toEqual(["etcd_server_has_leader"]);
    expect(() => metricNames('{__name__=~"etcd_.*"}')).toThrow(/__name__=~ cannot be checked/);
  });

  it("skips string literals, numbers and durations", () => {
    expect(metricNames('label_replace(up, "dst", "$1 (x) [y] {z} foo_total", "src", "(.*)")')).toEqual(["up"]);
    expect(metricNames("a * 0.5 + 1e3 - 0x1f + .5 + 2E-3 + Inf - NaN + inf")).toEqual(["a"]);
    expect(metricNames("max_over_time(a[1h:5m]) + max_over_time(rate(b[5m])[30m:])")).toEqual(["a", "b"]);
  });

  it("skips Grafana variables: in ranges, in matchers and as arguments", () => {
    expect(metricNames("increase(bgpmesh_reloads_total[$__rate_interval])")).toEqual(["bgpmesh_reloads_total"]);
    expect(metricNames("rate(a[${__interval}]) * $factor + topk(${n}, b) + c * ${x:raw}")).toEqual(["a", "b", "c"]);
  });

  it("refuses a metric name built from a variable: it cannot be checked", () => {
    expect(() => metricNames("${prefix}_reloads_total")).toThrow(/made with a variable/);
    expect(() => metricNames("bgpmesh_$kind")).toThrow(/made with a variable/);
  });

  it("skips comments", () => {
    expect(metricNames("a # then not_a_metric (\n + b")).toEqual(["a", "b"]);
  });

  it("understands Grafana's variable queries", () => {
    expect(metricNames("label_values(bgpmesh_peers_known, node)")).toEqual(["bgpmesh_peers_known"]);
    expect(metricNames('label_values(up{job=~"bird|bgpmesh-agent"}, node)')).toEqual(["up"]);
    expect(metricNames("label_values(rate(a[5m]), node)")).toEqual(["a"]);
    expect(metricNames("label_values(node)")).toEqual([]);
    expect(metricNames("query_result(topk(5, sum by (node) (b)))")).toEqual(["b"]);
    expect(metricNames("metrics(bgpmesh_.*)")).toEqual([]);
    expect(metricNames("label_names()")).toEqual([]);
  });

  it("fails on what it cannot read, saying where", () => {
    expect(() => metricNames("sum(rate(a[5m])")).toThrow(PromqlError);
    expect(() => metricNames("sum(rate(a[5m])")).toThrow(/unclosed '\('/);
    expect(() => metricNames('a{job="x"')).toThrow(/unclosed '\{'/);
    expect(() => metricNames('a{job="x}')).toThrow(/unterminated string/);
    expect(() => metricNames("rate(a[5m)")).toThrow(/unclosed '\['/);
    expect(() => metricNames("a ; b")).toThrow(/unexpected character ';' at offset 2/);
    expect(() => metricNames("a}")).toThrow(/unexpected character '\}'/);
  });
});

describe("dashboardQueries and dashboardMetrics", () => {
  const dashboard = {
    panels: [
      { id: 1, type: "row", title: "r", panels: [] },
      { id: 2, title: "two", targets: [{ refId: "A", expr: "a_total" }, { refId: "B", expr: "" }, { refId: "C" }] },
      // A collapsed row keeps its panels inside it.
      { id: 3, type: "row", collapsed: true, panels: [{ id: 4, title: "inner", targets: [{ refId: "A", expr: "rate(b[5m]) / a_total" }] }] },
    ],
    templating: {
      list: [
        { type: "datasource", name: "datasource", query: "prometheus" },
        { type: "query", name: "node", definition: "label_values(c, node)", query: { query: "label_values(c, node)", refId: "StandardVariableQuery" } },
        { type: "query", name: "old", query: "label_values(d, instance)" },
        { type: "custom", name: "k", query: "1,2,3" },
      ],
    },
  };

  it("lists each panel target's expr (rows' panels included) and each query variable's query", () => {
    expect(dashboardQueries(dashboard)).toEqual([
      { where: 'panel 2 "two" target A', expr: "a_total" },
      { where: 'panel 4 "inner" target A', expr: "rate(b[5m]) / a_total" },
      { where: "variable node", expr: "label_values(c, node)" },
      { where: "variable old", expr: "label_values(d, instance)" },
    ]);
  });

  it("maps each metric to the first query naming it, and names the query it cannot read", () => {
    expect([...dashboardMetrics(dashboard)]).toEqual([
      ["a_total", 'panel 2 "two" target A'],
      ["b", 'panel 4 "inner" target A'],
      ["c", "variable node"],
      ["d", "variable old"],
    ]);
    const bad = { panels: [{ id: 7, title: "bad", targets: [{ refId: "B", expr: "sum(a" }] }] };
    expect(() => dashboardMetrics(bad)).toThrow(/^panel 7 "bad" target B: unclosed '\('/);
  });
});
