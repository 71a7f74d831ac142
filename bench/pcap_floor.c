/* The floor: read every packet of a capture with libpcap and do nothing else. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) { fprintf(stderr, "usage: pcap_floor FILE\n"); return 2; }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) { fprintf(stderr, "%s\n", err); return 1; }
    struct pcap_pkthdr *h; const u_char *d; unsigned long n = 0, bytes = 0; int r;
    while ((r = pcap_next_ex(p, &h, &d)) == 1) { n++; bytes += h->caplen; }
    printf("%lu packets %lu bytes\n", n, bytes);
    pcap_close(p);
    return r == PCAP_ERROR_BREAK ? 0 : 1;
}
