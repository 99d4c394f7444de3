#!/bin/sh
# Re-vendor ECharts (Apache-2.0): the full dist/echarts.min.js (it has registerMap and the
# map/geo series; echarts.common.min.js does not), its LICENSE and NOTICE. Run from this
# directory with network access; the server embeds the file with include_bytes!.
# Vendored: echarts 6.1.0, sha256 b66b25aeb4df84e33199dc21694014d336d222cbd9deb0e5a7c14bd6aa0d0fd0
set -eu
V=6.1.0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
(cd "$T" && npm pack "echarts@$V" >/dev/null && tar xzf "echarts-$V.tgz")
cp "$T/package/dist/echarts.min.js" echarts.min.js
cp "$T/package/LICENSE" echarts.LICENSE
cp "$T/package/NOTICE" echarts.NOTICE
sha256sum echarts.min.js
