// see selective_scan.cuh: SSD shares the scan body (SSD = true instances)
