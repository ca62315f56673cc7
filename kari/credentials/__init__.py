"""Verifiable credentials for Individual Certification
(C4: successful applicants receive a certificate).

A plain Python package (no Django): Ed25519 keys as Multikey/did:key (``keys``), JSON
Canonicalization (``jcs``), Open Badges 3.0 credentials with an ``eddsa-jcs-2022`` Data
Integrity proof (``vc``), Bitstring Status List revocation (``status``) and the offline
``kari credential`` command (``cli``).
"""
