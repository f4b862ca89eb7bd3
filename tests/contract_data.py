"""Small, valid tables for each contract (hand-built, independent of the generators)."""

import numpy as np
import pandas as pd


def msp(n_gps: int = 30, years=range(2010, 2016), seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_gps):
        entry = 2013 if g < n_gps // 3 else (2014 if g < n_gps // 2 else np.nan)
        rur = ["urban", "periurban", "rural"][g % 3]
        for y in years:
            rows.append({"gp_id": f"G{g:04d}", "year": y, "patients_mt": int(rng.integers(600, 1400)),
                         "file_active": int(rng.integers(1000, 2200)), "fees": float(rng.uniform(8e4, 1.6e5)),
                         "age": float(40 + g % 20), "female": g % 2, "rurality": rur,
                         "department": ["01", "13", "2A", "33", "59", "69", "75", "974"][g % 8], "msp_year": entry})
    df = pd.DataFrame(rows)
    df["msp_year"] = df["msp_year"].astype("Int64")
    return df


def asalee(n_gps: int = 12, patients_per_gp: int = 5, years=range(2010, 2014), seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(n_gps):
        entry = 2012 if g < n_gps // 2 else np.nan
        for p in range(patients_per_gp):
            for y in years:
                followed = int(not np.isnan(entry) and y >= entry and p % 2 == 0)
                row = {"patient_id": f"P{g:03d}{p:03d}", "gp_id": f"G{g:03d}", "year": y, "asalee_year": entry,
                       "nurse_followed": followed, "age": float(50 + p), "sex": "F" if p % 2 else "M"}
                for ind in ["hba1c_3plus", "microalb", "creatinine", "lipids", "ecg_cardio", "fundus_2y"]:
                    row[ind] = int(rng.integers(0, 2))
                rows.append(row)
    df = pd.DataFrame(rows)
    df["asalee_year"] = df["asalee_year"].astype("Int64")
    return df


def assistants(n_gps: int = 30, years=range(2016, 2022), seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    options = ["third", "half", "full"]
    for g in range(n_gps):
        signed = g < n_gps // 2
        for y in years:
            rows.append({"gp_id": f"A{g:04d}", "year": y, "patients_mt": int(rng.integers(600, 1600)),
                         "file_active": int(rng.integers(1000, 2500)), "acts": int(rng.integers(3000, 6000)),
                         "age": float(35 + g % 25), "female": g % 2, "department": "2A" if g == 0 else "75",
                         "underserved": int(g % 3 == 0), "am_year": 2019 if signed else np.nan,
                         "am_option": options[g % 3] if signed else None})
    df = pd.DataFrame(rows)
    df["am_year"] = df["am_year"].astype("Int64")
    return df


TABLES = {"msp": msp, "asalee": asalee, "assistants": assistants}
