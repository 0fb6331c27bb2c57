import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  bool,
  describeOf,
  duration,
  hostPort,
  integer,
  list,
  logLevel,
  natsUrl,
  mongoUrl,
  oneOf,
  port,
  secret,
  url,
} from "./index.ts";

describe("key helpers", () => {
  it("natsUrl accepts nats, tls, ws and wss URLs only", () => {
    for (const ok of ["nats://127.0.0.1:4222", "tls://n.example:4222", "ws://h:80", "wss://h"]) {
      expect(natsUrl().parse(ok)).toBe(ok);
    }
    expect(natsUrl().safeParse("http://h:4222").success).toBe(false);
    expect(natsUrl().safeParse("127.0.0.1:4222").success).toBe(false);
  });

  it("url restricts protocols when asked", () => {
    expect(url().parse("mongodb://h:27017/db")).toBe("mongodb://h:27017/db");
    expect(url(["http:", "https:"]).safeParse("mongodb://h").success).toBe(false);
    expect(url().safeParse("not a url").success).toBe(false);
  });

  it("mongoUrl takes one host or a replica set's seed list, and refuses other schemes", () => {
    for (const ok of [
      "mongodb://127.0.0.1:27017/",
      "mongodb://u:p%40ss@m1:27017,m2:27017,m3:27017/?replicaSet=rs0&authSource=warden_audit",
      "mongodb+srv://cluster.example.net/warden",
    ]) {
      expect(mongoUrl().parse(ok)).toBe(ok);
    }
    for (const bad of [
      "http://m1:27017",
      "mongodb://",
      "mongodb://m1:27017,,m2:27017/",
      "mongodb://m1:99999/",
    ]) {
      expect(mongoUrl().safeParse(bad).success, bad).toBe(false);
    }
  });

  it("hostPort takes host:port without a scheme", () => {
    expect(hostPort().parse("127.0.0.1:7233")).toBe("127.0.0.1:7233");
    expect(hostPort().parse("[::1]:7233")).toBe("[::1]:7233");
    expect(hostPort().safeParse("temporal").success).toBe(false);
    expect(hostPort().safeParse("http://h:7233").success).toBe(false);
    expect(hostPort().safeParse("h:99999").success).toBe(false);
  });

  it("port is a whole number 0-65535", () => {
    expect(port().parse("0")).toBe(0);
    expect(port().parse("65535")).toBe(65535);
    for (const bad of ["-1", "65536", "80.5", "http", "8080x"]) {
      expect(port().safeParse(bad).success, bad).toBe(false);
    }
  });

  it("integer honours bounds", () => {
    expect(integer({ min: 1, max: 10 }).parse("10")).toBe(10);
    expect(integer({ min: 1, max: 10 }).safeParse("0").success).toBe(false);
    expect(integer({ min: 1, max: 10 }).safeParse("11").success).toBe(false);
    expect(integer().parse("-5")).toBe(-5);
    expect(describeOf(integer({ min: 1 }))).toBe("a whole number (1..any)");
  });

  it("logLevel is a pino level", () => {
    expect(logLevel().parse("debug")).toBe("debug");
    expect(logLevel().safeParse("verbose").success).toBe(false);
  });

  it("duration converts to milliseconds", () => {
    expect(duration().parse("250ms")).toBe(250);
    expect(duration().parse("30s")).toBe(30_000);
    expect(duration().parse("5m")).toBe(300_000);
    expect(duration().parse("1.5h")).toBe(5_400_000);
    expect(duration().parse("7d")).toBe(604_800_000);
    for (const bad of ["30", "5 m", "m", "-1s", "1w"]) {
      expect(duration().safeParse(bad).success, bad).toBe(false);
    }
  });

  it("bool is true or false, any case", () => {
    expect(bool().parse("true")).toBe(true);
    expect(bool().parse("FALSE")).toBe(false);
    for (const bad of ["1", "yes", "on"]) {
      expect(bool().safeParse(bad).success, bad).toBe(false);
    }
  });

  it("list splits on commas and validates items", () => {
    expect(list().parse(" a ,b,, c ")).toEqual(["a", "b", "c"]);
    expect(list(port()).parse("80,443")).toEqual([80, 443]);
    const bad = list(port()).safeParse("80,x");
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual([1]);
  });

  it("oneOf and secret", () => {
    expect(oneOf(["a", "b"]).parse("b")).toBe("b");
    expect(oneOf(["a", "b"]).safeParse("c").success).toBe(false);
    expect(secret().safeParse("").success).toBe(false);
  });

  it("description overrides and describeOf looks through wrappers", () => {
    expect(describeOf(port("the gRPC port").default(50051))).toBe("the gRPC port");
    expect(describeOf(natsUrl().optional())).toBe("a nats:// URL, e.g. nats://127.0.0.1:4222");
    expect(describeOf(z.string())).toBeUndefined();
  });
});
