/* The JSON report the GPU delegate writes to report_path: which device ran what, which
 * nodes were claimed (and why others were not), how the kernel program was obtained
 * (compiled vs cache hit, in ms), and per-kernel launch info. Tests read it to prove nodes
 * really ran on the device; benchmarks read the profiled kernel times. The claimed / rejected
 * part and the atomic write are common/claims.c's, as in the CPU delegate's report. */
#include <stdio.h>
#include <string.h>

#include "claims.h"
#include "delegate_state.h"

static int eq_count_partitions(const eqg_delegate* d) {
  int n = 0;
  for (const eqg_partition* p = d->partitions; p; p = p->next) ++n;
  return n;
}

static void write_device(FILE* f, const eqg_delegate* d) {
  const eqg_device* v = &d->dev;
  fprintf(f, "  \"platform\": ");
  eq_json_string(f, v->platform_name);
  fprintf(f, ",\n  \"device\": ");
  eq_json_string(f, v->device_name);
  fprintf(f, ",\n  \"device_type\": \"%s\"", v->device_type ? v->device_type : "other");
  fprintf(f, ",\n  \"driver_version\": ");
  eq_json_string(f, v->driver_version);
  fprintf(f, ",\n  \"device_version\": ");
  eq_json_string(f, v->device_version);
  fprintf(f, ",\n  \"compute_units\": %u,\n  \"max_clock_mhz\": %u,\n  \"global_mem_bytes\": %llu,\n",
          v->compute_units, v->clock_mhz, (unsigned long long)v->global_mem);
  double setup = 0, first = 0;
  int ran = 0;
  for (const eqg_partition* p = d->partitions; p; p = p->next) {
    setup += p->setup_ms;
    first += p->first_invoke_ms;
    ran += p->invocations > 0;
  }
  /* every phase of a start, the first inference included (a lazy driver, PoCL, compiles its kernels
   * there); first_invoke is null until every partition has run once */
  fprintf(f, "  \"startup_ms\": {\"load_opencl\": %.3f, \"enumerate_devices\": %.3f, \"context_queue\": %.3f, "
             "\"program\": %.3f, \"program_cache_write\": %.3f, \"partitions_setup\": %.3f, \"first_invoke\": ",
          v->load_ms, v->enumerate_ms, v->context_ms, v->cache_hit ? v->cache_load_ms : v->compile_ms,
          v->cache_store_ms, setup);
  const int all_ran = d->partitions && ran == eq_count_partitions(d);
  if (all_ran) fprintf(f, "%.3f", first);
  else fputs("null", f);
  fprintf(f, "},\n");
  /* reused: the context and program of another delegate of this process (device.c), only a queue made */
  fprintf(f, "  \"device_reused\": %s,\n  \"delegates_on_context\": %d,\n", v->reused ? "true" : "false",
          eqg_device_sharers(v));
  fprintf(f, "  \"has_command_buffer_extension\": %s,\n", v->command_buffer ? "true" : "false");
  fprintf(f, "  \"opencl_namespace\": \"%s\",\n", v->cl.isolated ? "isolated" : "global");
  fprintf(f, "  \"integer_dot\": ");
  eq_json_string(f, v->dot_variant);
  fprintf(f, ",\n  \"extensions_used\": [");
  if (strncmp(v->dot_variant, "cl_", 3) == 0) eq_json_string(f, v->dot_variant);
  fprintf(f, "],\n  \"program\": {\"build_options\": ");
  eq_json_string(f, v->build_options);
  fprintf(f, ", \"cache_hit\": %s, \"compile_ms\": %.3f, \"cache_load_ms\": %.3f, \"cache_write_ms\": %.3f, "
             "\"reused\": %s, \"cache_file\": ",
          v->cache_hit ? "true" : "false", v->compile_ms, v->cache_load_ms, v->cache_store_ms,
          v->reused ? "true" : "false");
  eq_json_string(f, v->cache_file);
  fprintf(f, ", \"cache_note\": ");
  eq_json_string(f, v->cache_note);
  fprintf(f, "},\n");
}

/* Every OpenCL device seen, the one chosen (or tried last) and why: says plainly which ran. */
static void write_selection(FILE* f, const eqg_delegate* d) {
  const eqg_device* v = &d->dev;
  fprintf(f, "  \"selection\": ");
  eq_json_string(f, v->selection);
  fprintf(f, ",\n  \"device_choice\": \"%s\"", v->remembered ? "remembered" : "enumerated");
  fprintf(f, ",\n  \"devices_seen\": [");
  for (int i = 0; i < v->n_seen; ++i) {
    const eqg_seen_device* s = &v->seen[i];
    fprintf(f, "%s\n    {\"platform\": ", i ? "," : "");
    eq_json_string(f, s->platform);
    fprintf(f, ", \"device\": ");
    eq_json_string(f, s->name);
    fprintf(f, ", \"type\": \"%s\", \"compute_units\": %u, \"chosen\": %s}", s->type, s->compute_units,
            v->selection[0] && i == v->chosen ? "true" : "false");
  }
  fprintf(f, "%s],\n", v->n_seen ? "\n  " : "");
}

static void write_partitions(FILE* f, const eqg_delegate* d) {
  fprintf(f, "  \"partitions\": [");
  int first = 1;
  for (const eqg_partition* p = d->partitions; p; p = p->next) {
    int launches = 0; /* kernel launches per invoke: nodes fused into another run none */
    for (int i = 0; i < p->n_nodes; ++i) launches += p->plans[i].n_launch;
    int pinned = 0;
    for (int i = 0; i < p->n_in; ++i) pinned += p->in_host && p->in_host[i] != NULL;
    for (int i = 0; i < p->n_out; ++i) pinned += p->out_host && p->out_host[i] != NULL;
    fprintf(f, "%s\n    {\"id\": %d, \"invocations\": %ld, \"last_invoke_ms\": %.3f, \"first_invoke_ms\": %.3f, "
               "\"uploads\": %d, \"readbacks\": %d, \"pinned_transfers\": %d, \"sync\": \"%s\", ",
            first ? "" : ",", p->id, p->invocations, p->last_invoke_ms, p->first_invoke_ms, p->n_in, p->n_out, pinned,
            p->sync_read ? "blocking readback" : "clFinish");
    /* host timeline per invoke, mean over the invokes after the first (ms) */
    const long n_t = p->invocations > 1 ? p->invocations - 1 : 0;
    const double k_t = n_t ? 1.0 / (double)n_t : 0.0;
    fprintf(f, "\"host_ms_per_invoke\": {\"invokes\": %ld, \"uploads\": %.4f, \"enqueue_kernels\": %.4f, "
               "\"readback_wait\": %.4f, \"copy_out\": %.4f, \"total\": %.4f}, \"launches\": %d, \"nodes\": [",
            n_t, p->t_upload * k_t, p->t_kernels * k_t, p->t_wait * k_t, p->t_copy_out * k_t, p->t_total * k_t, launches);
    first = 0;
    for (int i = 0; i < p->n_nodes; ++i) {
      const eqg_node_plan* pl = &p->plans[i];
      fprintf(f, "%s\n      {\"node\": %d, \"op\": \"%s\", \"device_ns\": %llu, ", i ? "," : "", p->node_index[i],
              p->kinds[i]->info.name, (unsigned long long)pl->last_ns);
      if (p->fused && p->fused[i]) {
        fputs("\"fused\": ", f);
        eq_json_string(f, p->fused[i]);
        fputs(", ", f);
      }
      fputs("\"kernels\": [", f);
      for (int j = 0; j < pl->n_launch; ++j) {
        const eqg_launch* l = &pl->launch[j];
        size_t wg = 0;
        cl_ulong priv = 0;
        d->dev.cl.GetKernelWorkGroupInfo(l->kernel, d->dev.device, CL_KERNEL_WORK_GROUP_SIZE, sizeof(wg), &wg, NULL);
        d->dev.cl.GetKernelWorkGroupInfo(l->kernel, d->dev.device, CL_KERNEL_PRIVATE_MEM_SIZE, sizeof(priv), &priv,
                                         NULL);
        fprintf(f,
                "%s{\"kernel\": \"%s\", \"global\": [%zu, %zu], \"local\": [%zu, %zu], \"ops\": %.0f, "
                "\"max_work_group_size\": %zu, \"private_mem_bytes\": %llu}",
                j ? ", " : "", l->name, l->gws[0], l->gws[1], l->lws[0], l->lws[1], l->ops, wg,
                (unsigned long long)priv);
      }
      fprintf(f, "]}");
    }
    fprintf(f, "]}");
  }
  fprintf(f, "%s]\n", first ? "" : "\n  ");
}

/* profile=1: mean device time per invoke of every delegated node, in the op_profile schema that
 * edgeq profile reads (node, op, ms). */
static void write_op_profile(FILE* f, const eqg_delegate* d) {
  long invokes = 0;
  for (const eqg_partition* p = d->partitions; p; p = p->next)
    if (p->profiled > invokes) invokes = p->profiled;
  fprintf(f, "  \"op_profile\": {\"available\": %s, \"source\": \"OpenCL profiling events (device time of each "
             "node's kernels, COMMAND_START to COMMAND_END)\", \"invokes\": %ld, \"nodes\": [",
          invokes ? "true" : "false", invokes);
  int first = 1;
  for (const eqg_partition* p = d->partitions; p; p = p->next)
    for (int i = 0; i < p->n_nodes && p->profiled; ++i, first = 0)
      fprintf(f, "%s{\"node\": %d, \"op\": \"%s\", \"ms\": %.6f}", first ? "" : ", ", p->node_index[i],
              p->kinds[i]->info.name, (double)p->plans[i].total_ns / 1e6 / (double)p->profiled);
  fprintf(f, "]},\n");
}

/* The offload model's groups (offload.h): each with its estimate and whether it was kept. */
static void write_offload(FILE* f, const eqg_delegate* d) {
  const eqg_offload_mode m = d->opts.offload;
  const eqg_offload_rates* r = &d->offload.rates;
  fprintf(f, "  \"offload\": {\"mode\": \"%s\", \"applied\": %s, ",
          m == EQG_OFFLOAD_ALL ? "all" : m == EQG_OFFLOAD_MODEL ? "model" : "auto", d->offload.n ? "true" : "false");
  if (d->offload.n)
    fprintf(f, "\"model\": {\"sync_us\": %g, \"transfer_us\": %g, \"bytes_per_us\": %g, \"launch_us\": %g, "
               "\"device_ops_per_us\": %g, \"device_rate_from\": \"%s\", \"cpu_threads\": %g, "
               "\"cpu_threads_from\": \"%s\", \"cpu_mac_ops_per_us_per_thread\": %g, "
               "\"cpu_elements_per_us_per_thread\": %g, \"cpu_weight_bytes_per_us_per_thread\": %g, "
               "\"cpu_node_us\": %g}, ",
            r->sync_us, r->transfer_us, r->bytes_per_us, r->launch_us, r->device_ops_per_us, r->device_rate_from,
            r->cpu_threads, r->threads_from, r->cpu_ops_per_us, r->cpu_elements_per_us, r->cpu_bytes_per_us,
            r->cpu_node_us);
  fputs("\"groups\": [", f);
  for (int k = 0; k < d->offload.n; ++k) {
    const eqg_offload_group* g = &d->offload.groups[k];
    fprintf(f,
            "%s\n    {\"first_node\": %d, \"nodes\": %d, \"launches\": %d, \"uploads\": %d, \"readbacks\": %d, \"bytes_in\": %.0f, "
            "\"bytes_out\": %.0f, \"mac_ops\": %.0f, \"weight_bytes\": %.0f, \"elements\": %.0f, \"device_us\": %.3f, "
            "\"device_compute_us\": %.3f, \"cpu_us\": %.3f, \"kept\": %s}",
            k ? "," : "", g->first_node, g->n_nodes, g->launches, g->n_in, g->n_out, g->bytes_in, g->bytes_out, g->mac_ops,
            g->weight_bytes, g->elements, g->device_us, g->device_compute_us, g->cpu_us, g->kept ? "true" : "false");
  }
  fprintf(f, "%s]},\n", d->offload.n ? "\n  " : "");
}

static void write_report(FILE* f, TfLiteContext* ctx, const void* arg) {
  const eqg_delegate* d = arg;
  fprintf(f, "{\n  \"delegate\": \"edgeq_gpu\",\n  \"status\": \"%s\",\n  \"message\": ",
          d->dev_state == 1 ? "ok" : "unavailable");
  eq_json_string(f, d->dev_state == 1 ? d->claim_note : d->dev_error);
  fprintf(f, ",\n");
  if (d->dev.n_seen) write_selection(f, d);
  if (d->dev_state == 1) write_device(f, d);
  if (d->dev_state == 1 && d->dev.profiling) write_op_profile(f, d);
  if (d->dev_state == 1) write_offload(f, d);
  fputs("  ", f);
  eq_claims_write_json(&d->claims, ctx, f);
  fputs(",\n", f);
  write_partitions(f, d);
  fprintf(f, "}\n");
}

void eqg_report(eqg_delegate* d, TfLiteContext* ctx) {
  if (d->opts.base.report_path) eq_report_write(ctx, "edgeq gpu delegate", d->opts.base.report_path, write_report, d);
}
